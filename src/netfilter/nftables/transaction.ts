/**
 * NftTransaction: changes to one nftables table as data, rendered as one `nft -f -` input, which
 * the kernel applies atomically (all or nothing). Names, set types and comments are checked here:
 * they become words of that input. Rules are rule text built by podnet's own renderers.
 */
import { NftError } from "./types.js";

/** NftFamily is the table family: podnet's proxy tables are `ip` and `ip6`. */
export type NftFamily = "ip" | "ip6";

/** BaseChain makes a chain a hook's entry point. */
export interface BaseChain {
  type: "filter" | "nat";
  hook: "prerouting" | "input" | "forward" | "output" | "postrouting";
  priority: number;
}

/** ContainerKind says whether a container is a set or a map. */
export type ContainerKind = "set" | "map";

/** NftOp is one change. */
export type NftOp =
  | { verb: "add-table"; comment?: string }
  | { verb: "delete-table" }
  | { verb: "add-chain"; name: string; base?: BaseChain; comment?: string }
  | { verb: "flush-chain"; name: string }
  | { verb: "delete-chain"; name: string }
  | { verb: "add-rule"; chain: string; rule: string; comment?: string }
  | { verb: "add-container"; kind: ContainerKind; name: string; type: string; flags?: string[]; timeoutS?: number; comment?: string }
  | { verb: "flush-container"; kind: ContainerKind; name: string }
  | { verb: "delete-container"; kind: ContainerKind; name: string }
  | { verb: "add-element"; kind: ContainerKind; name: string; key: string; value?: string; comment?: string }
  | { verb: "delete-element"; kind: ContainerKind; name: string; key: string };

const NAME = /^[A-Za-z_.][A-Za-z0-9_./-]{0,255}$/;
const WORDS = /^[^\n;{}"#]*$/;
/** RULE allows the braces of anonymous sets and verdict maps, nothing that ends or comments out a command. */
const RULE = /^[^\n;"#]*$/;

function name(n: string): string {
  if (!NAME.test(n)) throw new NftError(`failed to render nft change: invalid name ${JSON.stringify(n)}`);
  return n;
}

function text(t: string, what: string, re = WORDS): string {
  if (!re.test(t)) throw new NftError(`failed to render nft change: invalid ${what} ${JSON.stringify(t)}`);
  return t;
}

function comment(c: string | undefined): string {
  if (c === undefined) return "";
  if (!/^[^\n"\\]{0,128}$/.test(c)) throw new NftError(`failed to render nft change: invalid comment ${JSON.stringify(c)}`);
  return ` comment "${c}"`;
}

/** renderNftOp is one change as an `nft -f` line of table `family table`. */
export function renderNftOp(op: NftOp, family: NftFamily, table: string): string {
  const t = `${family} ${name(table)}`;
  switch (op.verb) {
    case "add-table":
      return `add table ${t}${op.comment === undefined ? "" : ` {${comment(op.comment)} ; }`}`;
    case "delete-table":
      return `delete table ${t}`;
    case "add-chain": {
      const parts = [
        ...(op.base ? [`type ${op.base.type} hook ${op.base.hook} priority ${op.base.priority} ;`] : []),
        ...(op.comment === undefined ? [] : [`${comment(op.comment).trim()} ;`]),
      ];
      return `add chain ${t} ${name(op.name)}${parts.length ? ` { ${parts.join(" ")} }` : ""}`;
    }
    case "flush-chain":
      return `flush chain ${t} ${name(op.name)}`;
    case "delete-chain":
      return `delete chain ${t} ${name(op.name)}`;
    case "add-rule":
      return `add rule ${t} ${name(op.chain)} ${text(op.rule, "rule", RULE)}${comment(op.comment)}`;
    case "add-container": {
      const parts = [
        `type ${text(op.type, "type")} ;`,
        ...(op.flags?.length ? [`flags ${op.flags.map((f) => text(f, "flag")).join(",")} ;`] : []),
        ...(op.timeoutS === undefined ? [] : [`timeout ${Math.round(op.timeoutS)}s ;`]),
        ...(op.comment === undefined ? [] : [`${comment(op.comment).trim()} ;`]),
      ];
      return `add ${op.kind} ${t} ${name(op.name)} { ${parts.join(" ")} }`;
    }
    case "flush-container":
      return `flush ${op.kind} ${t} ${name(op.name)}`;
    case "delete-container":
      return `delete ${op.kind} ${t} ${name(op.name)}`;
    case "add-element":
      return `add element ${t} ${name(op.name)} { ${text(op.key, "element")}${comment(op.comment)}${op.value === undefined ? "" : ` : ${text(op.value, "element value")}`} }`;
    case "delete-element":
      return `delete element ${t} ${name(op.name)} { ${text(op.key, "element")} }`;
  }
}

/** NftTransaction is an ordered list of changes to one table. */
export class NftTransaction {
  readonly ops: NftOp[] = [];

  constructor(
    readonly family: NftFamily,
    readonly table: string,
  ) {}

  /** add appends changes. */
  add(...ops: NftOp[]): this {
    for (const op of ops) this.ops.push(op);
    return this;
  }
  /** append adds another transaction's changes (of the same table) after this one's. */
  append(other: NftTransaction): this {
    return this.add(...other.ops);
  }
  /** render is the `nft -f -` input. */
  render(): string {
    return this.ops.map((op) => `${renderNftOp(op, this.family, this.table)}\n`).join("");
  }
  /** size counts the changes. */
  get size(): number {
    return this.ops.length;
  }
  /** empty says whether there is nothing to do. */
  get empty(): boolean {
    return this.ops.length === 0;
  }
}
