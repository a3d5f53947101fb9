/**
 * Pod routes as data, and the `ip -batch` text that moves a node from the routes it has (read with
 * `ip -j route show proto 81`) to the routes it should have. Unchanged routes are not rewritten.
 */
import { ROUTE_PROTO } from "./types.js";

/**
 * BLACKHOLE_METRIC keeps the node's own-block blackhole under the connected route of a bridge:
 * IPv4 connected routes have metric 0, IPv6 ones 256, so IPv6 blackholes sit at 1024 (IPv6's default).
 */
export const BLACKHOLE_METRIC = { 4: 32, 6: 1024 } as const;

/** blackholeMetric is BLACKHOLE_METRIC for a destination's family. */
export function blackholeMetric(dst: string): number {
  return BLACKHOLE_METRIC[dst.includes(":") ? 6 : 4];
}

/** PodRoute is one route to a remote pod block, or (blackhole) the drop route of the node's own block. */
export interface PodRoute {
  dst: string;
  via?: string;
  blackhole?: boolean;
  /** dev pins the route to a device (vxlan's `onlink` routes); host-gw lets the kernel pick. */
  dev?: string;
  onlink?: boolean;
}

/** KernelRoute is the part of `ip -j route show` output routing compares. */
export interface KernelRoute {
  dst: string;
  type?: string;
  gateway?: string;
  dev?: string;
  flags?: string[];
}

function normalDst(dst: string): string {
  return dst.includes("/") ? dst : `${dst}/${dst.includes(":") ? 128 : 32}`;
}

function same(want: PodRoute, have: KernelRoute): boolean {
  if (want.blackhole || have.type === "blackhole") return Boolean(want.blackhole) && have.type === "blackhole";
  return (
    want.via === have.gateway &&
    (want.dev === undefined || want.dev === have.dev) &&
    Boolean(want.onlink) === (have.flags ?? []).includes("onlink")
  );
}

/** routeLine renders a route for `ip -batch`. */
export function routeLine(verb: "replace" | "del", r: PodRoute): string {
  if (r.blackhole) return `route ${verb} blackhole ${r.dst} metric ${blackholeMetric(r.dst)} proto ${ROUTE_PROTO}`;
  const dev = r.dev ? ` dev ${r.dev}` : "";
  return `route ${verb} ${r.dst} via ${r.via}${dev}${r.onlink ? " onlink" : ""} proto ${ROUTE_PROTO}`;
}

/** RouteDiff splits the batch in adds (replace) and deletes, because vxlan must order them around its neighbours. */
export interface RouteDiff {
  add: string[];
  del: string[];
}

/** diffRoutes compares wanted pod routes with the node's proto-81 routes. */
export function diffRoutes(want: PodRoute[], have: KernelRoute[]): RouteDiff {
  const byDst = new Map(have.map((h) => [normalDst(h.dst), h]));
  const wanted = new Set(want.map((w) => w.dst));
  const add = want.filter((w) => {
    const h = byDst.get(w.dst);
    return !h || !same(w, h);
  });
  const del = have.filter((h) => !wanted.has(normalDst(h.dst)));
  return {
    add: add.map((r) => routeLine("replace", r)),
    del: del.map((h) =>
      h.type === "blackhole" ? routeLine("del", { dst: normalDst(h.dst), blackhole: true }) : `route del ${normalDst(h.dst)} proto ${ROUTE_PROTO}`,
    ),
  };
}
