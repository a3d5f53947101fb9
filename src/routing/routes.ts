/**
 * Pod routes as iproute Routes (protocol 81, so stale ones can be found), and the diff that moves a
 * node from the routes it has (read with `ip -j route show proto 81`) to the routes it should have.
 * Unchanged routes are not rewritten.
 */
import type { Route } from "../iproute/index.js";
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

/** podRoute is a route to a remote pod block via a gateway (pinned to a device with onlink for vxlan). */
export function podRoute(dst: string, via: string, dev?: string): Route {
  return dev ? { dst, via, dev, onlink: true, proto: ROUTE_PROTO } : { dst, via, proto: ROUTE_PROTO };
}

/** blackholeRoute drops traffic to the unassigned rest of one of the node's own blocks. */
export function blackholeRoute(dst: string): Route {
  return { dst, blackhole: true, proto: ROUTE_PROTO, metric: blackholeMetric(dst) };
}

function same(want: Route, have: Route): boolean {
  if (want.blackhole || have.blackhole) return Boolean(want.blackhole) && Boolean(have.blackhole);
  return want.via === have.via && (want.dev === undefined || want.dev === have.dev) && Boolean(want.onlink) === Boolean(have.onlink);
}

/** RouteDiff splits the changes in adds (replace) and deletes, because vxlan must order them around its neighbours. */
export interface RouteDiff {
  add: Route[];
  del: Route[];
}

/** diffRoutes compares wanted pod routes with the node's proto-81 routes. */
export function diffRoutes(want: Route[], have: Route[]): RouteDiff {
  const byDst = new Map(have.map((h) => [h.dst, h]));
  const wanted = new Set(want.map((w) => w.dst));
  return {
    add: want.filter((w) => {
      const h = byDst.get(w.dst);
      return !h || !same(w, h);
    }),
    del: have.filter((h) => !wanted.has(h.dst)).map((h) => (h.blackhole ? blackholeRoute(h.dst) : { dst: h.dst, proto: ROUTE_PROTO })),
  };
}
