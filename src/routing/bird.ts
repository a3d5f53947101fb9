/**
 * Calico's BGP mode with BIRD 2: every node runs BIRD, announces its pod blocks over iBGP and
 * installs the blocks other nodes announce as kernel routes (`proto bird`). The node's own blocks
 * come from a static protocol as blackholes — announced to peers, and installed locally at a
 * higher metric than the connected route, so addresses of the block that no pod holds are dropped
 * instead of leaking towards the default route. Peers form a full mesh, or — with route
 * reflectors — clients peer only with the reflectors and reflectors with everyone. Exporting
 * BGP-learned routes is safe: BIRD never passes iBGP routes to iBGP peers unless it reflects.
 */
import { familyOfCidr, type RouteNode, type RoutingSettings } from "./types.js";

/** BIRD_KERNEL_METRIC is the metric of BIRD's kernel routes; connected routes (metric 0) win over the blackhole. */
export const BIRD_KERNEL_METRIC = 32;

/** protocolName is the BIRD protocol name of the session to a peer node (BIRD names: letters, digits, _). */
export function protocolName(node: string): string {
  return `node_${node.replace(/[^A-Za-z0-9]/g, "_")}`;
}

/** bgpPeers says which nodes this node keeps sessions with, and which of them are its route-reflector clients. */
export function bgpPeers(self: RouteNode, nodes: RouteNode[], s: RoutingSettings): { node: RouteNode; rrClient: boolean }[] {
  const rr = new Set(s.routeReflectors.filter((r) => nodes.some((n) => n.name === r)));
  const others = nodes.filter((n) => n.name !== self.name && familyOfCidr(n.ip) === familyOfCidr(self.ip));
  if (rr.size === 0) return others.map((node) => ({ node, rrClient: false }));
  if (rr.has(self.name)) return others.map((node) => ({ node, rrClient: !rr.has(node.name) }));
  return others.filter((n) => rr.has(n.name)).map((node) => ({ node, rrClient: false }));
}

/** birdConfig renders one node's bird.conf. */
export function birdConfig(self: RouteNode, nodes: RouteNode[], s: RoutingSettings): string {
  const v4 = self.blocks.filter((b) => familyOfCidr(b) === 4);
  const lines = [
    "# Written by podnet's routing agent; changes are overwritten.",
    `router id ${self.ip};`,
    "log stderr all;",
    "",
    "protocol device { scan time 10; }",
    "",
    "# Pod blocks hosted here: announced to peers; blackholed below the connected route.",
    "protocol static podnet_blocks {",
    "  ipv4;",
    ...v4.map((b) => `  route ${b} blackhole;`),
    "}",
    "",
    "protocol kernel podnet_kernel {",
    "  ipv4 { import none; export all; };",
    `  metric ${BIRD_KERNEL_METRIC};`,
    "  merge paths on;",
    "  scan time 10;",
    "}",
    "",
    "template bgp podnet_peer {",
    `  local ${self.ip} as ${s.asn};`,
    "  direct;",
    "  hold time 9;",
    "  keepalive time 3;",
    "  connect delay time 1;",
    "  connect retry time 1;",
    "  error wait time 1, 10;",
    "  graceful restart off;",
    "  ipv4 {",
    "    import all;",
    '    export where proto = "podnet_blocks" || source = RTS_BGP;',
    "    gateway direct;",
    "  };",
    "}",
  ];
  for (const { node, rrClient } of bgpPeers(self, nodes, s)) {
    lines.push("", `protocol bgp ${protocolName(node.name)} from podnet_peer {`, `  description "${node.name}";`);
    lines.push(`  neighbor ${node.ip} as ${s.asn};`);
    if (rrClient) lines.push("  rr client;");
    lines.push("}");
  }
  return `${lines.join("\n")}\n`;
}
