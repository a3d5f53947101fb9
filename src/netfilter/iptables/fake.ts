/**
 * FakeIptables keeps one family's tables in memory and applies transactions with iptables-restore's
 * rules where they catch planning mistakes: rules go only into existing chains, a jump needs its
 * target chain, `-D` needs the exact rule, `-X` needs an empty chain nothing jumps to, and a table
 * whose steps fail is left as it was (its COMMIT never happens).
 */
import type { ChainListing, IptablesNode } from "./node.js";
import { splitArgs, targetOf } from "./rule.js";
import type { IptablesTransaction, IptOp } from "./transaction.js";
import { BUILTIN_CHAINS, type Flavour, type IpFamily, NetfilterError, TABLE_ORDER, type Table } from "./types.js";

/** TARGETS are the iptables targets that are not chains. */
const TARGETS = new Set([
  "ACCEPT",
  "DROP",
  "RETURN",
  "REJECT",
  "DNAT",
  "SNAT",
  "MASQUERADE",
  "MARK",
  "LOG",
  "NOTRACK",
  "CT",
  "CONNMARK",
  "TRACE",
  "SET",
  "NFLOG",
]);

/** Chains is one table: chain name → rule specs in order. */
export type Chains = Map<string, string[]>;

/** FakeIptables is an in-memory iptables of one family. */
export class FakeIptables implements IptablesNode {
  readonly tables = new Map<Table, Chains>();
  /** restores counts the transactions applied (empty ones are not). */
  restores = 0;

  constructor(
    readonly family: IpFamily = 4,
    readonly flavour: Flavour = "nft",
  ) {
    for (const t of TABLE_ORDER) this.tables.set(t, new Map(BUILTIN_CHAINS[t].map((c) => [c, []])));
  }

  async apply(tx: IptablesTransaction): Promise<void> {
    if (tx.empty) return;
    this.restores++;
    for (const section of tx.sections()) {
      const copy: Chains = new Map([...this.chainsOf(section.table)].map(([c, r]) => [c, [...r]]));
      for (const op of section.ops) step(section.table, copy, op);
      this.tables.set(section.table, copy);
    }
  }

  private chainsOf(table: Table): Chains {
    return this.tables.get(table) as Chains;
  }

  async list(table: Table, chain: string): Promise<string[] | undefined> {
    return this.chainsOf(table)
      .get(chain)
      ?.map((s) => `-A ${chain} ${s}`);
  }

  async chains(table: Table, rulesOf: readonly string[] = []): Promise<ChainListing> {
    const t = this.chainsOf(table);
    const rules = new Map(rulesOf.map((c) => [`${table}/${c}`, (t.get(c) ?? []).map((s) => `-A ${c} ${s}`)]));
    return { names: [...t.keys()], rules };
  }

  async check(table: Table, chain: string, args: readonly string[]): Promise<boolean> {
    const want = args.join("\0");
    return (this.chainsOf(table).get(chain) ?? []).some((s) => splitArgs(s).join("\0") === want);
  }

  async save(table?: Table): Promise<string> {
    return table ? this.dump(table) : this.dumpAll();
  }

  /** dumpAll renders every table as iptables-save does (without counters). */
  dumpAll(): string {
    return TABLE_ORDER.map((t) => this.dump(t)).join("");
  }

  /** dump renders one table as iptables-save does (without counters), chains sorted after the built-in ones. */
  dump(table: Table): string {
    const t = this.chainsOf(table);
    const builtin = BUILTIN_CHAINS[table];
    const names = [...builtin, ...[...t.keys()].filter((c) => !builtin.includes(c)).sort()];
    const lines = [`*${table}`, ...names.map((c) => (builtin.includes(c) ? `:${c} ACCEPT` : `:${c} -`))];
    for (const c of names) for (const s of t.get(c) ?? []) lines.push(`-A ${c} ${s}`);
    lines.push("COMMIT");
    return `${lines.join("\n")}\n`;
  }

  /** rules returns one chain's rule specs (empty when it does not exist). */
  rules(table: Table, chain: string): string[] {
    return [...(this.chainsOf(table).get(chain) ?? [])];
  }
}

function fail(table: Table, why: string): never {
  throw new NetfilterError(`failed to apply iptables-restore to table "${table}": ${why}`, { stderr: why });
}

function need(table: Table, t: Chains, chain: string): string[] {
  const rules = t.get(chain);
  if (!rules) fail(table, `chain "${chain}" does not exist`);
  return rules;
}

function checkTarget(table: Table, t: Chains, spec: string): void {
  const target = targetOf(spec);
  if (target !== undefined && !TARGETS.has(target) && !t.has(target)) fail(table, `jump to unknown chain "${target}"`);
}

function step(table: Table, t: Chains, op: IptOp): void {
  switch (op.op) {
    case "zero":
      return;
    case "declare":
      for (const c of op.chains) t.set(c, []);
      return;
    case "appendEach":
      for (const rules of op.rules) step(table, t, { op: "append", rules });
      return;
    case "append":
      if (!op.rules) return;
      for (const line of op.rules.split("\n")) {
        const sp = line.indexOf(" ", 3);
        const chain = line.slice(3, sp);
        const spec = line.slice(sp + 1);
        checkTarget(table, t, spec);
        need(table, t, chain).push(spec);
      }
      return;
    case "insert": {
      checkTarget(table, t, op.spec);
      need(table, t, op.chain).splice(op.position - 1, 0, op.spec);
      return;
    }
    case "delete": {
      const rules = need(table, t, op.chain);
      const i = rules.indexOf(op.spec);
      if (i < 0) fail(table, `no rule "${op.spec}" in chain "${op.chain}" to delete`);
      rules.splice(i, 1);
      return;
    }
    case "flush":
      need(table, t, op.chain).length = 0;
      return;
    case "deleteChains":
      for (const c of op.chains) {
        if (need(table, t, c).length > 0) fail(table, `chain "${c}" is not empty`);
        for (const [other, rules] of t) if (rules.some((s) => targetOf(s) === c)) fail(table, `chain "${c}" is referenced from "${other}"`);
        t.delete(c);
      }
  }
}
