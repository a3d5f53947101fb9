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

/** policyChain is the name of a policy's chain for one direction. */
export function policyChain(policy: Policy, dir: Direction): string {
  return hashName(PREFIX[dir], policy.key);
}

/** policyRules are the specs of a policy's chain for one direction (empty: it allows nothing). */
export function policyRules(policy: Policy, dir: Direction, sets: SetRegistry): string[] {
  const out: string[] = [];
  for (const r of policy[dir] ?? []) for (const spec of ruleSpecs(r, dir, sets)) out.push(spec);
  return out;
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
