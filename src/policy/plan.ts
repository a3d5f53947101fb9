/**
 * planPolicy: the node transaction that turns one family's observed policy state into the desired
 * one. Sets are created and filled before the rules that use them; a chain is written only when
 * its rules differ, and chains and sets no longer wanted go after nothing refers to them. The
 * group maps change after the rules, so a pod never points at a group chain that is not there
 * yet. Our jumps must be the first rule of their built-in chain (ahead of kube-proxy's ACCEPTs).
 */
import { NodeTransaction } from "../dataplane/index.js";
import { type IpSet, type IpsetTransaction, type Jump, jumpLine, jumpSpec, type Table } from "../netfilter/index.js";
import { CHAINS, type Gids, type PolicyState } from "./compile.js";

/** Observed is a family's policy state read from the kernel, with the built-in chains our jumps live in. */
export interface Observed extends PolicyState {
  /** builtins are `table/CHAIN` → `-A` lines of FORWARD and INPUT in filter and mangle. */
  builtins: Map<string, string[]>;
  /** gids are the group numbers, when known without reading them from the dispatch chains (the state this agent applied). */
  gids?: Gids;
}

const NOTE = ["-m", "comment", "--comment", "podnet network policy"];

/** JUMPS are the rules that send traffic into policy's chains. */
export const JUMPS: readonly Jump[] = [
  { table: "mangle", from: "FORWARD", to: CHAINS.mark, args: NOTE },
  { table: "mangle", from: "INPUT", to: CHAINS.mark, args: NOTE },
  { table: "filter", from: "FORWARD", to: CHAINS.forward, args: NOTE },
  { table: "filter", from: "INPUT", to: CHAINS.input, args: NOTE },
];

const same = (a: readonly string[] | undefined, b: readonly string[]) =>
  a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);

/** planPolicy returns the changes for one family (the transaction's iptables part of that family). */
export function planPolicy(desired: PolicyState, observed: Observed, family: 4 | 6): NodeTransaction {
  const tx = new NodeTransaction();
  planSets(desired.sets, observed.sets, tx);
  const ipt = tx.iptables[family];
  const byTable = new Map<Table, { write: [string, string[]][]; stale: string[] }>();
  const part = (t: Table) =>
    byTable.get(t) ?? (byTable.set(t, { write: [], stale: [] }).get(t) as { write: [string, string[]][]; stale: string[] });
  for (const [key, rules] of desired.chains) {
    if (same(observed.chains.get(key), rules)) continue;
    const [table, chain] = key.split("/") as [Table, string];
    part(table).write.push([chain, rules]);
  }
  for (const key of observed.chains.keys()) {
    const [table, chain] = key.split("/") as [Table, string];
    if (!desired.chains.has(key)) part(table).stale.push(chain);
  }
  for (const [table, p] of byTable) {
    const t = ipt.table(table);
    t.declareAll([...p.write.map(([ch]) => ch), ...p.stale]);
    for (const [ch, rules] of p.write) t.append(ch, ...rules);
  }
  for (const j of JUMPS) {
    const lines = observed.builtins.get(`${j.table}/${j.from}`) ?? [];
    if (lines[0] === jumpLine(j)) continue;
    if (lines.includes(jumpLine(j))) ipt.table(j.table).delete(j.from, jumpSpec(j));
    ipt.table(j.table).insert(j.from, jumpSpec(j));
  }
  for (const [table, p] of byTable) ipt.table(table).deleteAll(p.stale);
  for (const name of observed.sets.keys()) if (!desired.sets.has(name)) tx.ipsetsAfter.destroy(name);
  return tx;
}

/** planSets fills sets before the rules; group maps (skbinfo) change after them. */
function planSets(desired: Map<string, IpSet>, observed: Map<string, IpSet>, tx: NodeTransaction): void {
  for (const [name, want] of desired) {
    const have = observed.get(name);
    if (!have) tx.ipsets.create(want);
    const out: IpsetTransaction = want.skbinfo ? tx.ipsetsAfter : tx.ipsets;
    for (const [e, ext] of want.entries) if (have?.entries.get(e) !== ext) out.add(name, e, ext);
    if (have) for (const e of have.entries.keys()) if (!want.entries.has(e)) out.del(name, e);
  }
}
