/**
 * Deciding one node's egress: which pools it SNATs (natOutgoing; for a centralized subnet only on
 * its active gateway node) and which subnets it must send to a gateway node instead. If a
 * centralized subnet has no live gateway, its nodes fall back to SNATing locally, so egress
 * degrades to distributed rather than stopping. Gateway routing is IPv4 only for now: the IPv6
 * range of a centralized dual-stack subnet leaves through each pod's own node.
 */
import { subnetCidrs } from "../model/subnet.js";
import type { Subnet } from "../model/types.js";
import type { EgressPool } from "./egress.js";
import type { PolicyRoute } from "./policy.js";
import { policyTable } from "./policy.js";
import { familyOfCidr, type RouteNode, type RoutingSettings } from "./types.js";
import { vtepAddress, vxlanDev } from "./vxlan.js";

/** EgressSubnet is what egress needs to know of a Subnet. */
export interface EgressSubnet {
  name: string;
  cidrs: string[];
  natOutgoing: boolean;
  /** centralized is set for gatewayType centralized; active is the gateway node in use, if any. */
  centralized?: { active?: string };
}

/** EgressPlan is one node's egress NAT pools and gateway policy routes. */
export interface EgressPlan {
  pools: EgressPool[];
  policies: PolicyRoute[];
}

/** egressPlan computes a node's egress from the cluster's pod CIDRs and Subnets. */
export function egressPlan(
  self: RouteNode,
  nodes: RouteNode[],
  clusterCidrs: string[],
  subnets: EgressSubnet[],
  s: RoutingSettings,
): EgressPlan {
  const pools: EgressPool[] = clusterCidrs.map((cidr) => ({ cidr, natOutgoing: true }));
  const policies: PolicyRoute[] = [];
  for (const sub of subnets) {
    const gw = sub.centralized?.active ? nodes.find((n) => n.name === sub.centralized?.active) : undefined;
    const remoteGw = gw && gw.name !== self.name ? gw : undefined;
    for (const cidr of sub.cidrs) {
      const viaGw = remoteGw && familyOfCidr(cidr) === 4;
      pools.push({ cidr, natOutgoing: sub.natOutgoing && !viaGw });
      if (!viaGw) continue;
      const table = policyTable(sub.name);
      const vtep = vtepAddress(remoteGw);
      if (s.mode === "vxlan" && vtep) policies.push({ from: cidr, table, via: vtep, dev: vxlanDev(s), onlink: true });
      else policies.push({ from: cidr, table, via: remoteGw.ip });
    }
  }
  return { pools, policies };
}

/** egressSubnet is what egress needs of a Subnet. */
export function egressSubnet(s: Subnet): EgressSubnet {
  return {
    name: s.metadata.name,
    cidrs: subnetCidrs(s),
    natOutgoing: s.spec.natOutgoing !== false,
    ...(s.spec.gatewayType === "centralized" ? { centralized: s.status?.activeGateway ? { active: s.status.activeGateway } : {} } : {}),
  };
}
