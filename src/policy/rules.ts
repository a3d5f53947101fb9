/**
 * A policy's chain for one direction: one rule per (peer, port) pair of each of its rules, each
 * setting the "allowed" mark. Peers match a set by source (ingress) or destination (egress);
 * ports match by number or range on the destination, or by name through the set of (pod, port)
 * pairs that declare it. A rule whose peers have no address in this family matches nothing.
 */
import { codes, hashName } from "../util/hashname.js";
import { MARK_ALLOW } from "./marks.js";
import type { Direction, Policy, PortSpec, Rule } from "./model.js";
import type { SetRegistry } from "./sets.js";

const PREFIX = { ingress: codes("PODNET-PI-"), egress: codes("PODNET-PE-") };

const chainNames = new WeakMap<Policy, Partial<Record<Direction, string>>>();
const ruleCache = new WeakMap<Policy, Map<string, string[]>>();

/** policyChain is the name of a policy's chain for one direction. */
export function policyChain(policy: Policy, dir: Direction): string {
  let names = chainNames.get(policy);
  if (!names) chainNames.set(policy, (names = {}));
  return (names[dir] ??= hashName(PREFIX[dir], policy.key));
}

/**
 * policyRules are the specs of a policy's chain for one direction (empty: it allows nothing). A
 * policy object seen before (resolved policies are reused while their resourceVersion stands)
 * gets its rules back as they were — the same array, which the planner compares by identity —
 * after its sets are registered in this compile.
 */
export function policyRules(policy: Policy, dir: Direction, sets: SetRegistry): string[] {
  let byDir = ruleCache.get(policy);
  if (!byDir) ruleCache.set(policy, (byDir = new Map()));
  const k = `${dir}${sets.family}`;
  const cached = byDir.get(k);
  if (cached) {
    for (const r of policy[dir] ?? []) registerSets(r, sets);
    return cached;
  }
  const out: string[] = [];
  for (const r of policy[dir] ?? []) for (const spec of ruleSpecs(r, dir, sets)) out.push(spec);
  byDir.set(k, out);
  return out;
}

function registerSets(r: Rule, sets: SetRegistry): void {
  if (r.peers !== "all") for (const p of r.peers) sets.peerSet(p);
  if (r.ports !== "all") for (const p of r.ports) if (typeof p.port === "string") sets.namedPortSet(p.port, p.protocol);
}

function ruleSpecs(r: Rule, dir: Direction, sets: SetRegistry): string[] {
  const side = dir === "ingress" ? "src" : "dst";
  const peers: string[] = [];
  if (r.peers === "all") peers.push("");
  else
    for (const p of r.peers) {
      const set = sets.peerSet(p);
      if (set) peers.push(`-m set --match-set ${set} ${side} `);
    }
  const ports = r.ports === "all" ? [undefined] : r.ports;
  const out: string[] = [];
  for (const port of ports) {
    const { proto, match } = portMatch(port, sets);
    for (const peer of peers) out.push(`${proto}${peer}${match}${MARK_ALLOW}`);
  }
  return out;
}

/** portMatch splits a port into its `-p` part (printed first by iptables -S) and its match after the peer. */
function portMatch(p: PortSpec | undefined, sets: SetRegistry): { proto: string; match: string } {
  if (!p) return { proto: "", match: "" };
  const proto = p.protocol.toLowerCase();
  const head = `-p ${proto} `;
  if (p.port === undefined) return { proto: head, match: "" };
  if (typeof p.port === "string") return { proto: head, match: `-m set --match-set ${sets.namedPortSet(p.port, p.protocol)} dst,dst ` };
  const range = p.endPort !== undefined && p.endPort !== p.port ? `${p.port}:${p.endPort}` : `${p.port}`;
  return { proto: head, match: `-m ${proto} --dport ${range} ` };
}
