/**
 * The proxy benchmarks' cluster: N ClusterIP services × 3 endpoints (one on this node), and the
 * one-endpoint change they time — the g-th change moves one service's third endpoint elsewhere.
 */
import type { Service } from "../src/model/types.js";
import { makeService, makeSlice } from "../src/proxy/fixtures.js";
import { ServiceTracker } from "../src/proxy/tracker.js";

/** ip is address i of 10.<base>.0.0/16 and the /16s after it. */
export const ip = (base: number, i: number) => `10.${base + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
/** median and mean of a sample. */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
/** mean of a sample. */
export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** epsFor is service i's endpoints in generation gen (0: the first; each change moves the third). */
function epsFor(base: number, i: number, gen: number) {
  return [
    { ip: ip(base, i * 3), node: "test-node" },
    { ip: ip(base, i * 3 + 1), node: "node-b" },
    { ip: gen === 0 ? ip(base, i * 3 + 2) : ip(base - 10, gen), node: "node-c" },
  ];
}

/** benchCluster builds the tracker with n services whose endpoints are in 10.<epBase>.0.0/16. */
export function benchCluster(n: number, epBase: number): { tracker: ServiceTracker; services: Service[] } {
  const tracker = new ServiceTracker();
  const services = Array.from({ length: n }, (_, i) => makeService(`ns${i % 50}`, `svc${i}`, { clusterIP: ip(96, i + 1) }));
  tracker.replaceAll(
    services,
    services.map((s, i) => makeSlice(s.metadata.namespace ?? "default", s.metadata.name, epsFor(epBase, i, 0))),
  );
  return { tracker, services };
}

/** changeOne applies the g-th of `repeat` one-endpoint changes, spread over the services; it returns the service's key. */
export function changeOne(tracker: ServiceTracker, services: Service[], epBase: number, g: number, repeat: number): string {
  const i = Math.floor((g * services.length) / (repeat + 1));
  const s = services[i] as Service;
  const ns = s.metadata.namespace ?? "default";
  tracker.setSlice(`${ns}/${s.metadata.name}`, `${s.metadata.name}-1`, makeSlice(ns, s.metadata.name, epsFor(epBase, i, g)));
  return `${ns}/${s.metadata.name}`;
}
