/** flannel's host-gw: each remote node's pod blocks are routed via that node's underlay address. */
import type { Route } from "../iproute/index.js";
import { blackholeRoute, podRoute } from "./routes.js";
import { familyOfCidr, nodeAddress, type RouteNode } from "./types.js";

/** hostGwRoutes is `<remote block> via <remote node IP>` for every peer block, via the peer's address of the block's family (both on a dual-stack underlay). */
export function hostGwRoutes(self: RouteNode, nodes: RouteNode[]): Route[] {
  return peerRoutable(self, nodes).map(({ dst, via }) => podRoute(dst, via));
}

/** peerRoutable lists every peer block this node can route, with the peer address of its family; blocks of a family either side lacks are left out. */
export function peerRoutable(self: RouteNode, nodes: RouteNode[]): { dst: string; via: string; node: RouteNode }[] {
  return nodes
    .filter((n) => n.name !== self.name)
    .flatMap((n) =>
      n.blocks.flatMap((dst) => {
        const fam = familyOfCidr(dst);
        const via = nodeAddress(n, fam);
        return via && nodeAddress(self, fam) ? [{ dst, via, node: n }] : [];
      }),
    );
}

/**
 * ownBlackholes drop traffic to addresses of the node's own blocks that no pod holds, instead of
 * sending it up the default route (Calico's blackhole). Pods' /32 routes (routed mode) and a
 * bridge's connected route (metric 0) are more specific or preferred, so only the unassigned rest
 * falls into them.
 */
export function ownBlackholes(self: RouteNode): Route[] {
  return self.blocks.map(blackholeRoute);
}
