/**
 * The static part of kube-proxy's nftables table, written by every full sync: the base chains at
 * kube-proxy's hooks and priorities (filter chains at dstnat-10 see pre-DNAT addresses), the jump
 * chains, masquerading, the ClusterIP checks, NodePort addresses, and the maps and sets whose
 * elements the service ports fill (flushed here: a full sync adds every element again).
 */
import type { BaseChain, NftOp } from "../../netfilter/index.js";
import type { Family } from "../types.js";

/** TABLE is kube-proxy's table name, in both the ip and ip6 families. */
export const TABLE = "kube-proxy";
const DSTNAT = -100;
const SRCNAT = 100;

/** BASE_CHAINS are the hook entry points, as kube-proxy declares them. */
export const BASE_CHAINS: [string, BaseChain][] = [
  ["filter-prerouting", { type: "filter", hook: "prerouting", priority: DSTNAT - 10 }],
  ["filter-input", { type: "filter", hook: "input", priority: DSTNAT - 10 }],
  ["filter-forward", { type: "filter", hook: "forward", priority: DSTNAT - 10 }],
  ["filter-output", { type: "filter", hook: "output", priority: DSTNAT - 10 }],
  ["filter-output-post-dnat", { type: "filter", hook: "output", priority: DSTNAT + 10 }],
  ["nat-prerouting", { type: "nat", hook: "prerouting", priority: DSTNAT }],
  ["nat-output", { type: "nat", hook: "output", priority: DSTNAT }],
  ["nat-postrouting", { type: "nat", hook: "postrouting", priority: SRCNAT }],
];

/** JUMPS are the rules of the base chains: [to, from, match]. */
const JUMPS: [string, string, string][] = [
  ["nodeport-endpoints-check", "filter-input", "ct state new"],
  ["service-endpoints-check", "filter-input", "ct state new"],
  ["service-endpoints-check", "filter-forward", "ct state new"],
  ["service-endpoints-check", "filter-output", "ct state new"],
  ["firewall-check", "filter-prerouting", "ct state new"],
  ["firewall-check", "filter-output", "ct state new"],
  ["services", "nat-output", ""],
  ["services", "nat-prerouting", ""],
  ["masquerading", "nat-postrouting", ""],
  ["cluster-ips-check", "filter-forward", "ct state new"],
  ["cluster-ips-check", "filter-output-post-dnat", "ct state new"],
];

/** CONTAINERS are the maps and sets the service ports fill, with their key types. */
export const CONTAINERS = [
  "cluster-ips",
  "nodeport-ips",
  "service-ips",
  "service-nodeports",
  "no-endpoint-services",
  "no-endpoint-nodeports",
  "firewall-ips",
] as const;
/** ContainerName names one of them. */
export type ContainerName = (typeof CONTAINERS)[number];

/** SetupOptions are what the static part depends on. */
export interface SetupOptions {
  family: Family;
  masqMark: string;
  /** serviceCIDRs (--service-cidr) make traffic to unallocated ClusterIPs drop. */
  serviceCIDRs: string[];
  /** nodePortIPs are the addresses NodePorts answer on, or "all" (local addresses but loopback). */
  nodePortIPs: string[] | "all";
}

/** ipWords are the family's words: `ip` / `ip6`, the address type, loopback. */
export function ipWords(family: Family): { ipX: string; addr: string; noLocalhost: string } {
  return family === 6
    ? { ipX: "ip6", addr: "ipv6_addr", noLocalhost: "ip6 daddr != ::1" }
    : { ipX: "ip", addr: "ipv4_addr", noLocalhost: "ip daddr != 127.0.0.0/8" };
}

const chainOf = (name: string): NftOp[] => [
  { verb: "add-chain", name },
  { verb: "flush-chain", name },
];

/** setupOps are the full sync's static changes; `recreate` deletes and adds the base chains first (the first sync of a process). */
export function setupOps(o: SetupOptions, recreate: boolean): NftOp[] {
  const { ipX, addr, noLocalhost } = ipWords(o.family);
  const key3 = `${addr} . inet_proto . inet_service : verdict`;
  const ops: NftOp[] = [{ verb: "add-table", comment: "rules for kube-proxy" }];
  if (recreate) for (const [name] of BASE_CHAINS) ops.push({ verb: "add-chain", name }, { verb: "delete-chain", name });
  for (const [name, base] of BASE_CHAINS) ops.push({ verb: "add-chain", name, base }, { verb: "flush-chain", name });
  const made = new Set<string>();
  const ensure = (name: string) => {
    if (!made.has(name)) ops.push(...chainOf(name));
    made.add(name);
  };
  for (const [to, from, match] of JUMPS) {
    ensure(to);
    ops.push({ verb: "add-rule", chain: from, rule: `${match ? `${match} ` : ""}jump ${to}` });
  }
  for (const c of ["services", "cluster-ips-check", "masquerading", "mark-for-masquerade"]) ensure(c);
  ops.push(
    { verb: "add-rule", chain: "mark-for-masquerade", rule: `mark set mark or ${o.masqMark}` },
    { verb: "add-rule", chain: "masquerading", rule: `mark and ${o.masqMark} == 0 return` },
    { verb: "add-rule", chain: "masquerading", rule: `mark set mark xor ${o.masqMark}` },
    { verb: "add-rule", chain: "masquerading", rule: "masquerade fully-random" },
    { verb: "add-container", kind: "set", name: "cluster-ips", type: addr, comment: "Active ClusterIPs" },
    {
      verb: "add-rule",
      chain: "cluster-ips-check",
      rule: `${ipX} daddr @cluster-ips reject`,
      comment: "Reject traffic to invalid ports of ClusterIPs",
    },
  );
  if (o.serviceCIDRs.length)
    ops.push({
      verb: "add-rule",
      chain: "cluster-ips-check",
      rule: `${ipX} daddr { ${o.serviceCIDRs.join(", ")} } drop`,
      comment: "Drop traffic to unallocated ClusterIPs",
    });
  ops.push({ verb: "add-container", kind: "set", name: "nodeport-ips", type: addr, comment: "IPs that accept NodePort traffic" });
  if (o.nodePortIPs === "all") ops.push({ verb: "delete-container", kind: "set", name: "nodeport-ips" });
  else {
    ops.push({ verb: "flush-container", kind: "set", name: "nodeport-ips" });
    for (const ip of o.nodePortIPs) ops.push({ verb: "add-element", kind: "set", name: "nodeport-ips", key: ip });
  }
  const npMatch = o.nodePortIPs === "all" ? noLocalhost : `${ipX} daddr @nodeport-ips`;
  ops.push(
    {
      verb: "add-container",
      kind: "map",
      name: "no-endpoint-services",
      type: key3,
      comment: "vmap to drop or reject packets to services with no endpoints",
    },
    {
      verb: "add-container",
      kind: "map",
      name: "no-endpoint-nodeports",
      type: "inet_proto . inet_service : verdict",
      comment: "vmap to drop or reject packets to service nodeports with no endpoints",
    },
    { verb: "add-chain", name: "reject-chain", comment: "helper for @no-endpoint-services / @no-endpoint-nodeports" },
    { verb: "flush-chain", name: "reject-chain" },
    { verb: "add-rule", chain: "reject-chain", rule: "reject" },
    { verb: "add-rule", chain: "service-endpoints-check", rule: `${ipX} daddr . meta l4proto . th dport vmap @no-endpoint-services` },
    { verb: "add-rule", chain: "nodeport-endpoints-check", rule: `${npMatch} meta l4proto . th dport vmap @no-endpoint-nodeports` },
    {
      verb: "add-container",
      kind: "map",
      name: "firewall-ips",
      type: key3,
      comment: "destinations that are subject to LoadBalancerSourceRanges",
    },
    { verb: "add-rule", chain: "firewall-check", rule: `${ipX} daddr . meta l4proto . th dport vmap @firewall-ips` },
    { verb: "add-container", kind: "map", name: "service-ips", type: key3, comment: "ClusterIP, ExternalIP and LoadBalancer IP traffic" },
    {
      verb: "add-container",
      kind: "map",
      name: "service-nodeports",
      type: "inet_proto . inet_service : verdict",
      comment: "NodePort traffic",
    },
    { verb: "add-rule", chain: "services", rule: `${ipX} daddr . meta l4proto . th dport vmap @service-ips` },
    {
      verb: "add-rule",
      chain: "services",
      rule:
        o.nodePortIPs === "all"
          ? `fib daddr type local ${noLocalhost} meta l4proto . th dport vmap @service-nodeports`
          : `${ipX} daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports`,
    },
  );
  for (const c of CONTAINERS)
    if (c !== "nodeport-ips") ops.push({ verb: "flush-container", kind: c === "cluster-ips" ? "set" : "map", name: c });
  return ops;
}
