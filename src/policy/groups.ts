/**
 * Pods that the same policies isolate in a direction form a group; the node numbers its groups
 * (a number stays with its group while the group exists) and each packet finds its group's chain
 * through a binary tree on the group bits of its mark: a few rules per packet however many groups
 * and pods there are. A group chain asks each of its policies in turn; the first that allows ends
 * it, and a packet none allows is counted against each policy, logged if asked, and denied.
 */
import { savedComment as comment } from "../netfilter/index.js";
import { codes, hashName } from "../util/hashname.js";
import { ALLOW_BIT, EGRESS_MASK, EGRESS_SHIFT, hex, IF_ALLOWED, INGRESS_MASK, MAX_GROUPS } from "./marks.js";
import type { Direction, Policy } from "./model.js";
import { policyChain } from "./rules.js";

/** Group is the pods one list of policies isolates in one direction. */
export interface Group {
  policies: Policy[];
  gid: number;
  chain: string;
}

/** DenyOptions say what a group does with a packet none of its policies allows. */
export interface DenyOptions {
  /** target is the iptables target as -S prints it: DROP, or REJECT with its reply (which answers at once, as kube-router does). */
  target: string;
  /** log says whether a policy's denials go to NFLOG (its namespace asked for it). */
  log: (p: Policy) => boolean;
  nflogGroup: number;
}

const GROUP_PREFIX = { ingress: codes("PODNET-GI-"), egress: codes("PODNET-GE-") };

/** assignGids numbers groups by chain name: each keeps its number from `previous`, new ones take the lowest free. */
export function assignGids(chains: Iterable<string>, previous: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  const fresh: string[] = [];
  for (const s of chains) {
    const g = previous.get(s);
    if (g !== undefined) out.set(s, g);
    else fresh.push(s);
  }
  const used = new Set(out.values());
  let next = 1;
  for (const s of fresh.sort()) {
    while (used.has(next)) next++;
    if (next > MAX_GROUPS) throw new Error(`failed to number policy group "${s}": more than ${MAX_GROUPS} groups on one node`);
    out.set(s, next);
    used.add(next);
  }
  return out;
}

const groupNames = new Map<string, string>();

/** groupChainName names a group's chain after its signature (remembered: the same groups come back every sync). */
export function groupChainName(dir: Direction, signature: string): string {
  const k = `${dir} ${signature}`;
  let name = groupNames.get(k);
  if (name === undefined) {
    if (groupNames.size > 50_000) groupNames.clear();
    groupNames.set(k, (name = hashName(GROUP_PREFIX[dir], signature)));
  }
  return name;
}

const groupRuleCache = new Map<string, string[]>();

/** groupRules are the specs of a group's chain (remembered: the same array while nothing in it changes). */
export function groupRules(g: Group, dir: Direction, deny: DenyOptions): string[] {
  const logged = g.policies.filter(deny.log);
  const k = `${g.chain} ${deny.target} ${deny.nflogGroup} ${logged.map((p) => p.key).join(",")}`;
  let rules = groupRuleCache.get(k);
  if (!rules) {
    if (groupRuleCache.size > 50_000) groupRuleCache.clear();
    groupRuleCache.set(k, (rules = makeGroupRules(g, dir, deny, logged)));
  }
  return rules;
}

function makeGroupRules(g: Group, dir: Direction, deny: DenyOptions, logged: Policy[]): string[] {
  const out = [`-j MARK --set-xmark 0x0/${hex(ALLOW_BIT)}`];
  for (const p of g.policies) out.push(`${comment(p.key)} -j ${policyChain(p, dir)}`, `${IF_ALLOWED} -j RETURN`);
  for (const p of g.policies) out.push(comment(`denied by ${dir} of ${p.key}`));
  if (logged.length) out.push(`-j NFLOG --nflog-prefix ${quote(nflogPrefix(dir, logged))} --nflog-group ${deny.nflogGroup}`);
  out.push(`-j ${deny.target}`);
  return out;
}

/** nflogPrefix names the direction and policies in at most 63 characters: "I y/a,y/b" ("+N" when cut). */
export function nflogPrefix(dir: Direction, policies: Policy[]): string {
  const head = dir === "ingress" ? "I " : "E ";
  let text = head;
  for (let i = 0; i < policies.length; i++) {
    const key = (policies[i] as Policy).key;
    const next = `${text}${i ? "," : ""}${key}`;
    const rest = policies.length - i - 1;
    if (next.length + (rest ? ` +${rest}`.length : 0) > 63) return `${text} +${policies.length - i}`.slice(0, 63);
    text = next;
  }
  return text;
}

const quote = (s: string) => (/\s/.test(s) ? `"${s}"` : s);

/** dispatchChains is the tree under `top` that sends a packet to its group's chain by the mark's group bits. */
export function dispatchChains(top: string, dir: Direction, groups: readonly Group[]): Map<string, string[]> {
  const shift = dir === "egress" ? EGRESS_SHIFT : 0;
  const mask = dir === "egress" ? EGRESS_MASK : INGRESS_MASK;
  const out = new Map<string, string[]>();
  const sorted = [...groups].sort((a, b) => a.gid - b.gid);
  const build = (chain: string, gs: Group[]): void => {
    const first = gs[0];
    const last = gs[gs.length - 1];
    if (gs.length <= 8 || !first || !last) {
      out.set(chain, [
        ...gs.map((g) => `-m mark --mark ${hex(g.gid << shift)}/${hex(mask)} -g ${g.chain}`),
        ...(gs.length ? ["-j DROP"] : []),
      ]);
      return;
    }
    const bit = 31 - Math.clz32(first.gid ^ last.gid);
    const ones = gs.filter((g) => g.gid & (1 << bit));
    const zeros = gs.filter((g) => !(g.gid & (1 << bit)));
    const base = (first.gid >> (bit + 1)) << (bit + 1);
    const child = (v: number) => `${top}-${bit}-${(base | (v << bit)).toString(16)}`;
    const b = hex(1 << (bit + shift));
    out.set(chain, [`-m mark --mark ${b}/${b} -g ${child(1)}`, `-g ${child(0)}`]);
    build(child(1), ones);
    build(child(0), zeros);
  };
  build(top, sorted);
  return out;
}
