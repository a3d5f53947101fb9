/**
 * IpsetTransaction is one `ipset restore -exist` input as data: creates, adds, dels, flushes and
 * destroys in order. With -exist a create of an identical set, an add of a present element (which
 * updates its extensions) and a del of an absent one are not errors, so a replay is harmless.
 */
import { checkSetName, createLine, type SetSpec } from "./types.js";

/** IpsetOp is one line of the restore. */
export type IpsetOp =
  | { op: "create"; set: SetSpec }
  | { op: "add"; name: string; entry: string }
  | { op: "del"; name: string; entry: string }
  | { op: "flush"; name: string }
  | { op: "destroy"; name: string };

const ENTRY = /^[0-9A-Za-z.:/,_ -]+$/;

/** IpsetTransaction collects ipset changes. */
export class IpsetTransaction {
  readonly ops: IpsetOp[] = [];
  private rendered: { size: number; text: string } | undefined;

  /** create makes a set (nothing if an identical one exists). */
  create(set: SetSpec): this {
    checkSetName(set.name);
    return this.push({ op: "create", set });
  }
  /** add puts an element (with its extension text, e.g. "nomatch") in a set, or updates its extensions. */
  add(name: string, element: string, ext = ""): this {
    return this.push({ op: "add", name: checkSetName(name), entry: entryText(element, ext) });
  }
  /** del removes an element. */
  del(name: string, element: string): this {
    return this.push({ op: "del", name: checkSetName(name), entry: entryText(element, "") });
  }
  /** flush empties a set. */
  flush(name: string): this {
    return this.push({ op: "flush", name: checkSetName(name) });
  }
  /** destroy removes a set (it must be unreferenced). */
  destroy(name: string): this {
    return this.push({ op: "destroy", name: checkSetName(name) });
  }
  /** append adds another transaction's steps. */
  append(other: IpsetTransaction): this {
    for (const o of other.ops) this.push(o);
    return this;
  }

  /** size counts the steps. */
  get size(): number {
    return this.ops.length;
  }
  /** empty says whether nothing changes. */
  get empty(): boolean {
    return this.ops.length === 0;
  }

  /** render is the restore text ("" when empty); steps are only ever added, so it is rendered again only after more were. */
  render(): string {
    if (this.rendered?.size !== this.ops.length)
      this.rendered = { size: this.ops.length, text: this.ops.map((o) => `${renderOp(o)}\n`).join("") };
    return this.rendered.text;
  }

  private push(op: IpsetOp): this {
    this.ops.push(op);
    return this;
  }
}

function entryText(element: string, ext: string): string {
  const text = ext ? `${element} ${ext}` : element;
  if (!ENTRY.test(text) || element.includes(" ")) throw new Error(`failed to use ipset entry "${text}": not an element`);
  return text;
}

function renderOp(o: IpsetOp): string {
  switch (o.op) {
    case "create":
      return createLine(o.set);
    case "add":
    case "del":
      return `${o.op} ${o.name} ${o.entry}`;
    case "flush":
    case "destroy":
      return `${o.op} ${o.name}`;
  }
}
