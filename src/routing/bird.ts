/**
 * Calico's BGP mode with BIRD 2: every node runs BIRD, announces its pod blocks over iBGP and
 * installs the blocks other nodes announce as kernel routes (`proto bird`). The node's own blocks
 * come from a static protocol as blackholes — announced to peers, and installed locally at a
 * higher metric than the connected route, so addresses of the block that no pod holds are dropped
 * instead of leaking towards the default route. Peers form a full mesh, or — with route
 * reflectors — clients peer only with the reflectors and reflectors with everyone. Exporting
 * BGP-learned routes is safe: BIRD never passes iBGP routes to iBGP peers unless it reflects.
 * On a dual-stack underlay IPv6 blocks travel over separate IPv6 sessions between the nodes' IPv6
 * addresses (as Calico peers each family on its own address), with their own static and kernel
 * protocols; the router ID stays the node's IPv4 address.
 */
import type { Family } from "../util/ip.js";
import { BLACKHOLE_METRIC } from "./routes.js";
import { familyOfCidr, nodeAddress, type RouteNode, type RoutingSettings } from "./types.js";

/** protocolName is the BIRD protocol name of the session to a peer node (BIRD names: letters, digits, _); IPv6 sessions end in _v6. */
export function protocolName(node: string, family: Family = 4): string {
  return `node_${node.replace(/[^A-Za-z0-9]/g, "_")}${family === 6 ? "_v6" : ""}`;
}

/** bgpPeers says which nodes this node keeps sessions with, and which of them are its route-reflector clients. */
export function bgpPeers(self: RouteNode, nodes: RouteNode[], s: RoutingSettings): { node: RouteNode; rrClient: boolean }[] {
  const rr = new Set(s.routeReflectors.filter((r) => nodes.some((n) => n.name === r)));
  const others = nodes.filter((n) => n.name !== self.name && familyOfCidr(n.ip) === familyOfCidr(self.ip));
  if (rr.size === 0) return others.map((node) => ({ node, rrClient: false }));
  if (rr.has(self.name)) return others.map((node) => ({ node, rrClient: !rr.has(node.name) }));
  return others.filter((n) => rr.has(n.name)).map((node) => ({ node, rrClient: false }));
}

/** birdFamily is one family's part of bird.conf: static blackholes, kernel export, a peer template and the sessions. */
function birdFamily(self: RouteNode, nodes: RouteNode[], s: RoutingSettings, family: Family): string[] {
  const local = nodeAddress(self, family);
  if (!local) return [];
  const ch = family === 4 ? "ipv4" : "ipv6";
  const sfx = family === 4 ? "" : "6";
  const lines = [
    "",
    `# ${family === 4 ? "IPv4" : "IPv6"} pod blocks hosted here: announced to peers; blackholed below the connected route.`,
    `protocol static podnet_blocks${sfx} {`,
    `  ${ch};`,
    ...self.blocks.filter((b) => familyOfCidr(b) === family).map((b) => `  route ${b} blackhole;`),
    "}",
    "",
    `protocol kernel podnet_kernel${sfx} {`,
    `  ${ch} { import none; export all; };`,
    // Connected routes (metric 0, IPv6 256) win over the blackhole of the node's own block.
    `  metric ${BLACKHOLE_METRIC[family]};`,
    "  merge paths on;",
    "  scan time 10;",
    "}",
    "",
    `template bgp podnet_peer${sfx} {`,
    `  local ${local} as ${s.asn};`,
    "  direct;",
    "  hold time 9;",
    "  keepalive time 3;",
    "  connect delay time 1;",
    "  connect retry time 1;",
    "  error wait time 1, 10;",
    "  graceful restart off;",
    `  ${ch} {`,
    "    import all;",
    `    export where proto = "podnet_blocks${sfx}" || source = RTS_BGP;`,
    "    gateway direct;",
    "  };",
    "}",
  ];
  for (const { node, rrClient } of bgpPeers(self, nodes, s)) {
    const addr = nodeAddress(node, family);
    if (!addr) continue;
    lines.push("", `protocol bgp ${protocolName(node.name, family)} from podnet_peer${sfx} {`, `  description "${node.name}";`);
    lines.push(`  neighbor ${addr} as ${s.asn};`);
    if (rrClient) lines.push("  rr client;");
    lines.push("}");
  }
  return lines;
}

/** birdConfig renders one node's bird.conf: an IPv4 part, and an IPv6 part when the node has IPv6 blocks and an IPv6 address. */
export function birdConfig(self: RouteNode, nodes: RouteNode[], s: RoutingSettings): string {
  const v6 = self.blocks.some((b) => familyOfCidr(b) === 6);
  const lines = [
    "# Written by podnet's routing agent; changes are overwritten.",
    `router id ${self.ip};`,
    "log stderr all;",
    "",
    "protocol device { scan time 10; }",
    ...birdFamily(self, nodes, s, 4),
    ...(v6 ? birdFamily(self, nodes, s, 6) : []),
  ];
  return `${lines.join("\n")}\n`;
}
