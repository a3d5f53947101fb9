/**
 * Reading the cluster's Nodes (and the Subnet blocks they host) as routing peers. A node publishes what peers need on its own Node
 * object, as flannel does with its annotations: the VXLAN device's MAC goes in podnet.io/vtep-mac.
 */
import type { Node, Subnet } from "../model/types.js";
import { formatCIDR, isIP, parseCIDR } from "../util/ip.js";
import type { RouteNode } from "./types.js";

/** VTEP_MAC_ANNOTATION carries a node's VXLAN device MAC. */
export const VTEP_MAC_ANNOTATION = "podnet.io/vtep-mac";

/** nodeInternalIP is a node's first InternalIP of the given family. */
export function nodeInternalIP(n: Node, v6 = false): string | undefined {
  return n.status?.addresses?.find((a) => a.type === "InternalIP" && isIP(a.address) && a.address.includes(":") === v6)?.address;
}

/** canonical spells a CIDR as `ip -j route` prints it, so a differently spelled block is not rewritten every sync. */
function canonical(cidr: string): string {
  const c = parseCIDR(cidr);
  return c ? formatCIDR(c) : cidr;
}

/** routeNodes turns Node objects into routing peers, with their pod CIDRs and the Subnet blocks they host; nodes without an address or pod CIDR are skipped. */
export function routeNodes(nodes: Node[], subnets: Subnet[] = []): RouteNode[] {
  const out: RouteNode[] = [];
  for (const n of nodes) {
    const ip = nodeInternalIP(n);
    const own = n.spec.podCIDRs ?? (n.spec.podCIDR ? [n.spec.podCIDR] : []);
    const hosted = subnets.flatMap((s) => (s.status?.blocks ?? []).filter((b) => b.node === n.metadata.name).map((b) => b.cidr));
    const blocks = own.length ? [...own, ...hosted].map(canonical) : [];
    if (!ip || blocks.length === 0) continue;
    const mac = n.metadata.annotations?.[VTEP_MAC_ANNOTATION];
    const ip6 = nodeInternalIP(n, true);
    out.push({ name: n.metadata.name, ip, ...(ip6 ? { ip6 } : {}), blocks: [...blocks], ...(mac ? { vtepMac: mac } : {}) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
