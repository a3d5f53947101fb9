/**
 * IptablesTransaction is one `iptables-restore --noflush` input as data: per table, an ordered list
 * of chain declarations (create or flush), appended rules, inserted and deleted rules, flushes and
 * chain deletions. Tables a transaction does not name are untouched, and so are chains it does not
 * name. `render` gives the restore text; a fake applies the same operations in memory.
 */
import { chainRules, ruleLine, type RuleText } from "./rule.js";
import { TABLE_ORDER, type Table } from "./types.js";

/** IptOp is one step of a table's part of a transaction. */
export type IptOp =
  | { op: "zero" }
  | { op: "declare"; chains: readonly string[] }
  | { op: "append"; rules: RuleText }
  | { op: "appendEach"; rules: readonly RuleText[] }
  | { op: "insert"; chain: string; spec: string; position: number }
  | { op: "delete"; chain: string; spec: string }
  | { op: "flush"; chain: string }
  | { op: "deleteChains"; chains: readonly string[] };

/** TableTx collects one table's steps. */
export class TableTx {
  readonly ops: IptOp[] = [];
  constructor(readonly table: Table) {}

  /** zeroCounters resets the table's counters (`-Z`); with iptables-nft it also makes the restore read the table once. */
  zeroCounters(): this {
    return this.push({ op: "zero" });
  }
  /** declare creates chains, or flushes them if they exist (`:CHAIN - [0:0]`). */
  declare(...chains: string[]): this {
    return chains.length ? this.push({ op: "declare", chains }) : this;
  }
  /** declareAll is declare for a list built elsewhere (no copy). */
  declareAll(chains: readonly string[]): this {
    return chains.length ? this.push({ op: "declare", chains }) : this;
  }
  /** append adds rules at the end of a chain. */
  append(chain: string, ...specs: string[]): this {
    return specs.length ? this.push({ op: "append", rules: chainRules(chain, specs) }) : this;
  }
  /** appendRules adds rule text made by chainRules / ruleLine (possibly of several chains). */
  appendRules(rules: RuleText): this {
    return rules ? this.push({ op: "append", rules }) : this;
  }
  /** appendEach adds many rule texts in one step (a full sync's chains: one step, not one per chain). */
  appendEach(rules: readonly RuleText[]): this {
    return rules.length ? this.push({ op: "appendEach", rules }) : this;
  }
  /** insert puts a rule at a position of a chain (1 = first). */
  insert(chain: string, spec: string, position = 1): this {
    ruleLine(chain, spec);
    return this.push({ op: "insert", chain, spec, position });
  }
  /** delete removes the rule with exactly this spec (`-D`). */
  delete(chain: string, spec: string): this {
    ruleLine(chain, spec);
    return this.push({ op: "delete", chain, spec });
  }
  /** flush empties a chain (`-F`). */
  flush(chain: string): this {
    return this.push({ op: "flush", chain });
  }
  /** deleteChains removes empty, unreferenced chains (`-X`). */
  deleteChains(...chains: string[]): this {
    return chains.length ? this.push({ op: "deleteChains", chains }) : this;
  }
  /** appendSteps adds another transaction's steps for this table. */
  appendSteps(ops: readonly IptOp[]): this {
    for (const op of ops) this.push(op);
    return this;
  }
  /** deleteAll is deleteChains for a list built elsewhere (no copy). */
  deleteAll(chains: readonly string[]): this {
    return chains.length ? this.push({ op: "deleteChains", chains }) : this;
  }

  private push(op: IptOp): this {
    this.ops.push(op);
    return this;
  }
}

/** IptablesTransaction is one family's restore input. */
export class IptablesTransaction {
  private readonly tables = new Map<Table, TableTx>();
  private rendered: { size: number; text: string } | undefined;
  constructor(readonly family: 4 | 6 = 4) {}

  /** table returns the steps of one table, creating its section on first use. */
  table(name: Table): TableTx {
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = new TableTx(name)));
    return t;
  }

  /** sections lists the tables with steps, in restore order. */
  sections(): TableTx[] {
    return TABLE_ORDER.flatMap((t) => {
      const s = this.tables.get(t);
      return s && s.ops.length ? [s] : [];
    });
  }

  /** empty says whether the transaction changes nothing. */
  get empty(): boolean {
    return this.sections().length === 0;
  }

  /** size counts the steps. */
  get size(): number {
    return this.sections().reduce((n, s) => n + s.ops.length, 0);
  }

  /** render gives the `iptables-restore --noflush` input ("" when empty); steps are only ever added, so it is rendered again only after more were. */
  render(): string {
    const size = this.size;
    if (this.rendered?.size === size) return this.rendered.text;
    const out: string[] = [];
    for (const t of this.sections()) {
      out.push(`*${t.table}`);
      for (const o of t.ops) {
        if (o.op === "appendEach") for (const r of o.rules) out.push(r);
        else out.push(renderStep(o));
      }
      out.push("COMMIT");
    }
    const text = out.length ? `${out.join("\n")}\n` : "";
    this.rendered = { size, text };
    return text;
  }
}

/** declarations renders `:CHAIN - [0:0]` lines for many chains with one join. */
const declarations = (names: readonly string[]): string => `:${names.join(" - [0:0]\n:")} - [0:0]`;

function renderStep(o: IptOp): string {
  switch (o.op) {
    case "zero":
      return "-Z";
    case "declare":
      return declarations(o.chains);
    case "append":
      return o.rules;
    case "appendEach":
      return o.rules.join("\n");
    case "insert":
      return `-I ${o.chain} ${o.position} ${o.spec}`;
    case "delete":
      return `-D ${o.chain} ${o.spec}`;
    case "flush":
      return `-F ${o.chain}`;
    case "deleteChains":
      return `-X ${o.chains.join("\n-X ")}`;
  }
}
