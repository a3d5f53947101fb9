/**
 * Jumps from built-in chains into chains a data plane owns. They live in chains nobody owns
 * whole, so they are never rewritten: each built-in chain is read once (from a listing the caller
 * already has, else `-S`, all at once), a jump found there as written is present, one whose target
 * appears in another spelling is checked with `-C`, and the missing ones are inserted at the top.
 * Observing (I/O) and planning (pure) are separate steps, so a plan can be rendered without a kernel.
 */
import type { IptablesNode } from "./node.js";
import { quoteArgs } from "./rule.js";
import type { IptablesTransaction } from "./transaction.js";
import type { Table } from "./types.js";

/** Jump is one rule in a built-in chain that sends traffic into a chain of ours. */
export interface Jump {
  table: Table;
  from: string;
  to: string;
  args: string[];
}

/** jumpArgs renders a jump as iptables arguments (without the chain). */
export function jumpArgs(j: Jump): string[] {
  return [...j.args, "-j", j.to];
}

/** jumpSpec is the jump's rule spec as `iptables -S` prints it. */
export function jumpSpec(j: Jump): string {
  return quoteArgs(jumpArgs(j));
}

/** jumpLine is the jump as `iptables -S` prints it. */
export function jumpLine(j: Jump): string {
  return `-A ${j.from} ${jumpSpec(j)}`;
}

const key = (j: Pick<Jump, "table" | "from">) => `${j.table}/${j.from}`;

/**
 * presentJumps returns the jumps that exist. `listed` holds the rules of built-in chains the caller
 * has already read (`table/CHAIN`); the others are listed here, once each and all at once.
 */
export async function presentJumps(
  ipt: IptablesNode,
  jumps: readonly Jump[],
  listed: Map<string, string[]> = new Map(),
): Promise<Set<Jump>> {
  const unread = new Map(jumps.filter((j) => !listed.has(key(j))).map((j) => [key(j), j]));
  await Promise.all([...unread].map(async ([k, j]) => listed.set(k, (await ipt.list(j.table, j.from)) ?? [])));
  const present = new Set<Jump>();
  for (const j of jumps) {
    const rules = listed.get(key(j)) ?? [];
    if (rules.includes(jumpLine(j))) present.add(j);
    else if (rules.some((r) => r.endsWith(` -j ${j.to}`)) && (await ipt.check(j.table, j.from, jumpArgs(j)))) present.add(j);
  }
  return present;
}

/** insertMissing adds `-I CHAIN 1` steps for the jumps not present, in order; returns how many. */
export function insertMissing(tx: IptablesTransaction, jumps: readonly Jump[], present: ReadonlySet<Jump>): number {
  let n = 0;
  for (const j of jumps)
    if (!present.has(j)) {
      tx.table(j.table).insert(j.from, jumpSpec(j));
      n++;
    }
  return n;
}
