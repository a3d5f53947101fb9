/** Node IPAM, as kube-controller-manager's range allocator: a free pod CIDR per family for each node. */
import type { Node } from "../model/types.js";
import type { Txn } from "../store/types.js";
import { cidrOverlaps, formatCIDR, parseCIDR, subnet } from "../util/ip.js";
import type { ClusterConfig } from "./config.js";

/** allocateNodeCIDRs gives every node without pod CIDRs the lowest free block of each cluster CIDR. */
export function allocateNodeCIDRs(tx: Txn, cfg: ClusterConfig): void {
  const nodes = tx.list<Node>("Node");
  const taken = nodes.flatMap((n) => n.spec.podCIDRs ?? []).map((c) => parseCIDR(c)!);
  for (const node of nodes) {
    if ((node.spec.podCIDRs ?? []).length > 0) continue;
    const cidrs: string[] = [];
    cfg.clusterCIDRs.forEach((cc, i) => {
      const c = pickBlock(cc, cfg.nodeMaskSizes[i] ?? 24, taken);
      if (!c) throw new Error(`failed to allocate pod CIDR for node "${node.metadata.name}": ${cc} is full`);
      taken.push(parseCIDR(c)!);
      cidrs.push(c);
    });
    node.spec.podCIDR = cidrs[0];
    node.spec.podCIDRs = cidrs;
    tx.put(node);
  }
}

function pickBlock(clusterCIDR: string, size: number, taken: ReturnType<typeof parseCIDR>[]): string | undefined {
  const cc = parseCIDR(clusterCIDR)!;
  const count = 1n << BigInt(Math.min(size - cc.prefix, 20));
  for (let i = 0n; i < count; i++) {
    const b = subnet(cc, size, i);
    if (b && !taken.some((t) => t && cidrOverlaps(t, b))) return formatCIDR(b);
  }
  return undefined;
}
