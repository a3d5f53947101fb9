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

/** routeNode reads one Node as a peer hosting these extra blocks; undefined without an address or pod CIDR. */
function routeNode(n: Node, hosted: string[]): RouteNode | undefined {
  const ip = nodeInternalIP(n);
  const own = n.spec.podCIDRs ?? (n.spec.podCIDR ? [n.spec.podCIDR] : []);
  const blocks = own.length ? [...own, ...hosted].map(canonical) : [];
  if (!ip || blocks.length === 0) return undefined;
  const mac = n.metadata.annotations?.[VTEP_MAC_ANNOTATION];
  const ip6 = nodeInternalIP(n, true);
  return { name: n.metadata.name, ip, ...(ip6 ? { ip6 } : {}), blocks, ...(mac ? { vtepMac: mac } : {}) };
}

/**
 * Peers read from Node objects, by object: a follower hands out the same object until the Node
 * changes, so an agent's pass over hundreds of nodes parses only the ones that did.
 */
const peers = new WeakMap<Node, { hosted: string; peer: RouteNode | undefined }>();
const byName = new Intl.Collator().compare;

/** routeNodes turns Node objects into routing peers, with their pod CIDRs and the Subnet blocks they host; nodes without an address or pod CIDR are skipped. */
export function routeNodes(nodes: Node[], subnets: Subnet[] = []): RouteNode[] {
  const hosted = new Map<string, string[]>();
  for (const s of subnets) for (const b of s.status?.blocks ?? []) hosted.set(b.node, [...(hosted.get(b.node) ?? []), b.cidr]);
  const out: RouteNode[] = [];
  for (const n of nodes) {
    const mine = hosted.get(n.metadata.name) ?? [];
    const key = mine.join(",");
    let known = peers.get(n);
    if (known?.hosted !== key) {
      known = { hosted: key, peer: routeNode(n, mine) };
      peers.set(n, known);
    }
    if (known.peer) out.push({ ...known.peer, blocks: [...known.peer.blocks] });
  }
  return out.sort((a, b) => byName(a.name, b.name));
}
