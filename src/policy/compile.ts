/**
 * compileNode: the policy state one node must hold for one IP family, as plain data — sets and
 * chains (`table/CHAIN` → rule specs as iptables -S prints them). The mangle chain stamps each new
 * packet with the groups of its source and destination pods (ipset maps); the filter chains let
 * established traffic through, then send a packet with a group bit to that group's chain. Pure.
 */
import { matchesSelector } from "../model/selector.js";
import { type IpSet, savedComment, skbmark } from "../netfilter/index.js";
import { formatCIDR, parseCIDR } from "../util/ip.js";
import type { ClusterView } from "./cluster.js";
import { assignGids, type DenyOptions, dispatchChains, type Group, groupChainName, groupRules } from "./groups.js";
import { ALL_BITS, EGRESS_MASK, EGRESS_SHIFT, hex, INGRESS_MASK } from "./marks.js";
import { DIRECTIONS, type Direction, type Policy } from "./model.js";
import { policyChain, policyRules } from "./rules.js";
import type { SetMemo } from "./memo.js";
import { SET_PREFIX, SetRegistry } from "./sets.js";

/** Gids are each direction's group chain → group number. */
export type Gids = Record<Direction, Map<string, number>>;

/** CompileOptions name the node and family and say how denials end. */
export interface CompileOptions {
  node: string;
  family: 4 | 6;
  deny: "drop" | "reject";
  nflogGroup: number;
  /** previous keeps group numbers stable across syncs. */
  previous?: Gids;
  /** memo remembers sets across compiles, so a small change costs little (see memo.ts). */
  memo?: SetMemo;
}

/** PolicyState is one family's sets and chains (`table/CHAIN` → specs) of a node's policy. */
export interface PolicyState {
  sets: Map<string, IpSet>;
  chains: Map<string, string[]>;
}

/** Compiled is the desired state plus the group numbers it used. */
export interface Compiled extends PolicyState {
  gids: Gids;
}

/** CHAINS are the fixed chain names (the per-policy and per-group ones are hashed). */
export const CHAINS = {
  mark: "PODNET-MARK",
  forward: "PODNET-FORWARD",
  input: "PODNET-INPUT",
  ingress: "PODNET-INGRESS",
  egress: "PODNET-EGRESS",
} as const;

/** mapSet names the ipset that maps a local pod's address to its group in one direction. */
export const mapSet = (family: 4 | 6, dir: Direction) => `${SET_PREFIX}${family}-MAP-${dir.toUpperCase()}`;

const ESTABLISHED = "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN";

/** privateRules deny new connections into a private subnet from outside it, its allowSubnets and the nodes (kube-ovn's isolation). */
function privateRules(view: ClusterView, family: 4 | 6, sets: SetRegistry, target: string): string[] {
  const out: string[] = [];
  for (const s of view.privateSubnets) {
    const mine = s.cidrs.flatMap((c) => {
      const p = parseCIDR(c);
      return p && p.family === family ? [formatCIDR(p)] : [];
    });
    if (!mine.length) continue;
    const admitted = sets.netSet(`private:${s.name}`, [
      ...mine,
      ...s.allow,
      ...view.nodeIPs.map((ip) => (ip.includes(":") ? `${ip}/128` : `${ip}/32`)),
    ]);
    for (const c of mine)
      out.push(`-d ${c} -m set ! --match-set ${admitted} src ${savedComment(`denied by private subnet ${s.name}`)} -j ${target}`);
  }
  return out;
}

/** Members are a direction's groups: group chain (named after the sorted policy keys) → its policies and local addresses. */
type Members = Record<Direction, Map<string, { policies: Policy[]; ips: string[] }>>;

/** groupLocalPods sorts the node's pods into groups by the policies that isolate them, per direction. */
function groupLocalPods(view: ClusterView, sets: SetRegistry, node: string): Members {
  const byNs = new Map<string, Policy[]>();
  for (const p of view.policies) {
    const list = byNs.get(p.namespace);
    if (list) list.push(p);
    else byNs.set(p.namespace, [p]);
  }
  const members: Members = { ingress: new Map(), egress: new Map() };
  for (const list of sets.byNs.values())
    for (const { pod, entries } of list) {
      if (pod.node !== node) continue;
      const mine = (byNs.get(pod.namespace) ?? []).filter((p) => matchesSelector(p.podSelector, pod.labels));
      for (const dir of DIRECTIONS) {
        const policies = mine.filter((p) => p[dir] !== undefined);
        if (!policies.length) continue;
        const chain = groupChainName(dir, policies.map((p) => p.key).join(" "));
        const m = members[dir].get(chain);
        if (m) m.ips.push(...entries);
        else members[dir].set(chain, { policies, ips: [...entries] });
      }
    }
  return members;
}

/** compileNode computes a node's policy state for one family. */
export function compileNode(view: ClusterView, opts: CompileOptions): Compiled {
  const sets = new SetRegistry(view, opts.family, opts.memo);
  const chains = new Map<string, string[]>();
  const members = groupLocalPods(view, sets, opts.node);
  const deny: DenyOptions = {
    target: opts.deny === "drop" ? "DROP" : `REJECT --reject-with ${opts.family === 6 ? "icmp6" : "icmp"}-port-unreachable`,
    nflogGroup: opts.nflogGroup,
    log: (p) => view.namespaces.get(p.namespace)?.logDenied ?? false,
  };
  const gids = {} as Gids;
  const maps: IpSet[] = [];
  for (const dir of DIRECTIONS) {
    gids[dir] = assignGids(members[dir].keys(), opts.previous?.[dir] ?? new Map());
    const shift = dir === "egress" ? EGRESS_SHIFT : 0;
    const mask = dir === "egress" ? EGRESS_MASK : INGRESS_MASK;
    const map: IpSet = { name: mapSet(opts.family, dir), type: "hash:ip", family: opts.family, skbinfo: true, entries: new Map() };
    const groups: Group[] = [];
    for (const [chain, m] of members[dir]) {
      const gid = gids[dir].get(chain) as number;
      const g: Group = { policies: m.policies, gid, chain };
      groups.push(g);
      chains.set(`filter/${g.chain}`, groupRules(g, dir, deny));
      for (const p of m.policies) {
        const name = `filter/${policyChain(p, dir)}`;
        if (!chains.has(name)) chains.set(name, policyRules(p, dir, sets));
      }
      for (const ip of m.ips) map.entries.set(ip, skbmark(gid << shift, mask));
    }
    maps.push(map);
    for (const [c, rules] of dispatchChains(CHAINS[dir], dir, groups)) chains.set(`filter/${c}`, rules);
  }
  chains.set(`filter/${CHAINS.forward}`, [
    ESTABLISHED,
    ...privateRules(view, opts.family, sets, deny.target),
    `-m mark ! --mark 0x0/${hex(EGRESS_MASK)} -j ${CHAINS.egress}`,
    `-m mark ! --mark 0x0/${hex(INGRESS_MASK)} -j ${CHAINS.ingress}`,
  ]);
  chains.set(`filter/${CHAINS.input}`, [ESTABLISHED, `-m mark ! --mark 0x0/${hex(EGRESS_MASK)} -j ${CHAINS.egress}`]);
  const [ingressMap, egressMap] = maps as [IpSet, IpSet];
  chains.set(`mangle/${CHAINS.mark}`, [
    ESTABLISHED,
    `-j MARK --set-xmark 0x0/${hex(ALL_BITS)}`,
    `-j SET --map-set ${egressMap.name} src --map-mark`,
    `-j SET --map-set ${ingressMap.name} dst --map-mark`,
  ]);
  sets.done();
  const all = new Map(sets.sets);
  for (const m of maps) all.set(m.name, m);
  return { sets: all, chains, gids };
}
