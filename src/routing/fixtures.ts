/** Test fixtures shared by the routing tests: lab-shaped clusters, settings per mode, the egress of the default pod pool. */
import { DEFAULT_ROUTING, type RouteNode, type RoutingMode, type RoutingSettings } from "./types.js";

const EGRESS_POOLS = [{ cidr: "10.244.0.0/16", natOutgoing: true }];

/** cluster is n lab nodes (172.18.0.11…) with a /24 of 10.244.0.0/16 each. */
export const cluster = (n: number): RouteNode[] =>
  Array.from({ length: n }, (_, i) => ({ name: `node-${i + 1}`, ip: `172.18.0.${11 + i}`, blocks: [`10.244.${i}.0/24`] }));

/** dualCluster is cluster with each node's IPv6 address and /64. */
export const dualCluster = (n: number): RouteNode[] =>
  cluster(n).map((c, i) => ({
    ...c,
    ip6: `fd00:172:18::${11 + i}`,
    blocks: [...c.blocks, i ? `fd00:10:244:${i}::/64` : "fd00:10:244::/64"],
  }));

/** EGRESS is the egress of the IPv4 pod pool. */
export const EGRESS = { pools: EGRESS_POOLS, policies: [] };

/** DUAL_EGRESS is the egress of both pod pools. */
export const DUAL_EGRESS = { pools: [...EGRESS_POOLS, { cidr: "fd00:10:244::/56", natOutgoing: true }], policies: [] };

/** settings are the default routing settings in one mode. */
export const settings = (mode: RoutingMode, extra: Partial<RoutingSettings> = {}): RoutingSettings => ({
  ...DEFAULT_ROUTING,
  mode,
  ...extra,
});
