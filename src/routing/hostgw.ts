/** flannel's host-gw: each remote node's pod blocks are routed via that node's underlay address. */
import type { PodRoute } from "./routes.js";
import { familyOfCidr, type RouteNode } from "./types.js";

/** hostGwRoutes is `<remote block> via <remote node IP>` for every peer block of the node IP's family. */
export function hostGwRoutes(self: RouteNode, nodes: RouteNode[]): PodRoute[] {
  const fam = familyOfCidr(self.ip);
  return nodes
    .filter((n) => n.name !== self.name && familyOfCidr(n.ip) === fam)
    .flatMap((n) => n.blocks.filter((b) => familyOfCidr(b) === fam).map((dst) => ({ dst, via: n.ip })));
}

/**
 * ownBlackholes drop traffic to addresses of the node's own blocks that no pod holds, instead of
 * sending it up the default route (Calico's blackhole). Pods' /32 routes (routed mode) and a
 * bridge's connected route (metric 0) are more specific or preferred, so only the unassigned rest
 * falls into them.
 */
export function ownBlackholes(self: RouteNode): PodRoute[] {
  return self.blocks.map((dst) => ({ dst, blackhole: true }));
}
