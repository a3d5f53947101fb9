/**
 * The Subnet controller (kube-ovn's Subnets, allocated Calico's way): a Subnet is split into
 * per-node blocks, handed to a node when it first runs a pod of the Subnet's namespaces and grown
 * by another block when the node's blocks fill up. Blocks never overlap, so each node allocates
 * from its own blocks and no address is ever handed out twice across nodes. Blocks of deleted
 * nodes are released. For centralized gateways it records which gateway node is active: the first
 * listed node that exists and is Ready.
 */
import type { Node, Pod, Subnet, SubnetBlock } from "../model/types.js";
import type { Txn } from "../store/types.js";
import { staticIPs } from "../model/staticip.js";
import { subnetCidrs } from "../model/subnet.js";
import { cidrContains, cidrOverlaps, cidrSize, formatCIDR, parseCIDR, parseIP, subnet as subnetOf } from "../util/ip.js";
import { nodeReady } from "./ready.js";

/** DEFAULT_BLOCK_SIZE is the per-node block prefix: Calico's /26 for IPv4, /122 for IPv6. */
export const DEFAULT_BLOCK_SIZE = { 4: 26, 6: 122 } as const;

/** subnetForNamespace picks the Subnet serving a namespace: the one naming it, else the default one. */
export function subnetForNamespace(subnets: Subnet[], ns: string): Subnet | undefined {
  return subnets.find((s) => s.spec.namespaces?.includes(ns)) ?? subnets.find((s) => s.spec.default);
}

/** gatewayNodes lists a centralized subnet's gateway nodes in order of preference. */
export function gatewayNodes(s: Subnet): string[] {
  return (s.spec.gatewayNode ?? "")
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
}

function blockPrefix(s: Subnet, family: 4 | 6): number {
  return family === 4 ? (s.spec.blockSize ?? DEFAULT_BLOCK_SIZE[4]) : DEFAULT_BLOCK_SIZE[6];
}

function freeBlock(cidr: string, prefix: number, taken: SubnetBlock[]): string | undefined {
  const c = parseCIDR(cidr);
  if (!c) return undefined;
  const p = Math.max(prefix, c.prefix);
  const count = 1n << BigInt(Math.min(p - c.prefix, 20));
  for (let i = 0n; i < count; i++) {
    const b = subnetOf(c, p, i);
    if (b && !taken.some((t) => cidrOverlaps(parseCIDR(t.cidr)!, b))) return formatCIDR(b);
  }
  return undefined;
}

/** blockOf is the block of a Subnet CIDR (at the Subnet's block size) that contains ip. */
function blockOf(s: Subnet, ip: string): string | undefined {
  for (const cidr of subnetCidrs(s)) {
    const c = parseCIDR(cidr);
    const a = c && cidrContains(c, ip) ? parseIP(ip) : undefined;
    if (!c || !a) continue;
    const p = Math.max(blockPrefix(s, c.family), c.prefix);
    const bits = BigInt((c.family === 4 ? 32 : 128) - p);
    return formatCIDR({ family: c.family, base: (a.value >> bits) << bits, prefix: p });
  }
  return undefined;
}

/**
 * addressHome is the node a pod with static IPs must run on: the one holding the Subnet block (or,
 * outside Subnets, the pod CIDR) that contains its first address. Undefined when any node will do
 * (no static IP, or its block is still free); null when no node can hold the address.
 */
export function addressHome(pod: Pod, nodes: Node[], subnets: Subnet[]): string | undefined | null {
  const [ip] = staticIPs(pod);
  if (!ip) return undefined;
  const sub = subnetForNamespace(subnets, pod.metadata.namespace ?? "default");
  if (sub) {
    const b = blockOf(sub, ip);
    if (!b) return null;
    return sub.status?.blocks?.find((x) => x.cidr === b)?.node;
  }
  return nodes.find((n) => (n.spec.podCIDRs ?? []).some((c) => parseCIDR(c) && cidrContains(parseCIDR(c)!, ip)))?.metadata.name ?? null;
}

/** blockCapacity is how many pods a block holds (network, gateway and IPv4 broadcast excluded). */
function blockCapacity(cidr: string): number {
  const c = parseCIDR(cidr)!;
  return Number(cidrSize(c)) - (c.family === 4 ? 3 : 2);
}

/** reconcileSubnets assigns blocks to nodes that need them, releases those of gone nodes, and picks active gateways. */
export function reconcileSubnets(tx: Txn): void {
  const subnets = tx.list<Subnet>("Subnet");
  if (subnets.length === 0) return;
  const nodes = tx.list<Node>("Node");
  const names = new Set(nodes.map((n) => n.metadata.name));
  const pods = tx.list<Pod>("Pod").filter((p) => p.spec.nodeName && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
  for (const s of subnets) {
    const before = JSON.stringify(s.status ?? {});
    const blocks = (s.status?.blocks ?? []).filter((b) => names.has(b.node));
    const perNode = new Map<string, number>();
    for (const p of pods)
      if (names.has(p.spec.nodeName!) && subnetForNamespace(subnets, p.metadata.namespace ?? "default") === s)
        perNode.set(p.spec.nodeName!, (perNode.get(p.spec.nodeName!) ?? 0) + 1);
    // A static IP brings its block to the pod's node, if the block is still free.
    for (const p of pods)
      if (names.has(p.spec.nodeName!) && subnetForNamespace(subnets, p.metadata.namespace ?? "default") === s)
        for (const ip of staticIPs(p)) {
          const b = blockOf(s, ip);
          if (b && !blocks.some((x) => cidrOverlaps(parseCIDR(x.cidr)!, parseCIDR(b)!))) blocks.push({ cidr: b, node: p.spec.nodeName! });
        }
    for (const cidr of subnetCidrs(s)) {
      const family = cidr.includes(":") ? 6 : 4;
      for (const [node, count] of [...perNode].sort()) {
        const mine = () => blocks.filter((b) => b.node === node && b.cidr.includes(":") === (family === 6));
        while (mine().reduce((n, b) => n + blockCapacity(b.cidr), 0) < count) {
          const free = freeBlock(cidr, blockPrefix(s, family), blocks);
          if (!free) break; // exhausted: ADD on that node reports it
          blocks.push({ cidr: free, node });
        }
      }
    }
    const status: Subnet["status"] = { ...(s.status ?? {}), blocks };
    if (s.spec.gatewayType === "centralized") {
      const active = gatewayNodes(s).find((g) => nodes.some((n) => n.metadata.name === g && nodeReady(n)));
      if (active) status.activeGateway = active;
      else delete status.activeGateway;
    }
    if (JSON.stringify(status) !== before) tx.put({ ...s, status });
  }
}
