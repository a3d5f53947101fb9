/**
 * What a node's routing agent would program, as text, for `podnet render routing`: the `ip -batch`
 * and `bridge -batch` input (host-gw, vxlan, ipip) or the bird.conf (bgp), computed from the
 * cluster's Nodes without touching anything.
 */
import { birdConfig } from "./bird.js";
import { EGRESS_CHAIN, egressRules } from "./egress.js";
import type { EgressPlan } from "./egressplan.js";
import { policyBatch } from "./policy.js";
import { hostGwRoutes, ownBlackholes } from "./hostgw.js";
import { ipipBatch } from "./ipip.js";
import { routeLine } from "./routes.js";
import { type RouteNode, RoutingError, type RoutingSettings } from "./types.js";
import { vtepMac, vxlanDeviceBatch, vxlanEntries, vxlanPeers } from "./vxlan.js";

/** renderRouting renders one node's full routing state for the settings' mode, plus its egress NAT. */
export function renderRouting(selfName: string, nodes: RouteNode[], s: RoutingSettings, egress: EgressPlan): string {
  const self = nodes.find((n) => n.name === selfName);
  if (!self) throw new RoutingError(`failed to render routing for node "${selfName}": no such node with an InternalIP and pod CIDR`);
  const out: string[] = [];
  const section = (title: string, body: string) => {
    if (body) out.push(`# ${title}`, body.trimEnd(), "");
  };
  switch (s.mode) {
    case "host-gw":
      section("ip -batch -", [...ownBlackholes(self), ...hostGwRoutes(self, nodes)].map((r) => routeLine("replace", r)).join("\n"));
      break;
    case "vxlan": {
      const withMacs = nodes.map((n) => ({ ...n, vtepMac: n.vtepMac ?? vtepMac(n.name) }));
      const peers = vxlanPeers(self, withMacs, s);
      const e = vxlanEntries(peers, [], [], s);
      section("ip -batch - (device)", vxlanDeviceBatch(self, s));
      section("ip -batch - (neighbours)", e.neigh);
      section("bridge -batch - (forwarding database)", e.fdb);
      section("ip -batch - (routes, after their entries)", [...ownBlackholes(self), ...peers.flatMap((p) => p.routes)].map((r) => routeLine("replace", r)).join("\n"));
      break;
    }
    case "bgp":
      section("bird.conf", birdConfig(self, nodes, s));
      break;
    case "ipip":
      section("ip -batch - (render only: this kernel has no IPIP)", ipipBatch(self, nodes, s));
      break;
  }
  const { pools } = egress;
  for (const family of [4, 6] as const)
    if (pools.some((p) => p.cidr.includes(":") === (family === 6)))
      section(`${family === 6 ? "ip6tables" : "iptables"}-restore --noflush (egress, jumped to from POSTROUTING as ${EGRESS_CHAIN})`, egressRules(pools, family));
  section("ip -batch - (centralized egress gateways)", policyBatch(egress.policies, [], []));
  return out.join("\n");
}
