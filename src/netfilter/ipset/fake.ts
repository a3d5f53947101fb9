/**
 * FakeIpset keeps sets in memory and applies restores with ipset's rules where they catch planning
 * mistakes: adds need the set, a create of an existing set must match it, and a set that rules
 * still use cannot be destroyed (`inUse` tells it which are).
 */
import { NetfilterError } from "../iptables/types.js";
import type { IpsetNode } from "./node.js";
import type { IpsetTransaction } from "./transaction.js";
import { type IpSet, sameSpec } from "./types.js";

/** FakeIpset is an in-memory ipset; a failed restore leaves it unchanged. */
export class FakeIpset implements IpsetNode {
  readonly all = new Map<string, IpSet>();
  restores = 0;

  constructor(private readonly inUse: (name: string) => boolean = () => false) {}

  async apply(tx: IpsetTransaction): Promise<void> {
    if (tx.empty) return;
    this.restores++;
    const copy = new Map([...this.all].map(([k, s]) => [k, { ...s, entries: new Map(s.entries) }]));
    tx.ops.forEach((o, i) => {
      const fail = (why: string) => {
        throw new NetfilterError(`failed to apply ipset restore: line ${i + 1}: ${why}`);
      };
      if (o.op === "create") {
        const have = copy.get(o.set.name);
        if (have && !sameSpec(have, o.set)) fail(`set ${o.set.name} exists with another type`);
        if (!have) copy.set(o.set.name, { ...o.set, entries: new Map() });
        return;
      }
      const set = copy.get(o.name) ?? fail(`the set with the given name does not exist: ${o.name}`);
      const [element = "", ...ext] = o.op === "add" || o.op === "del" ? o.entry.split(" ") : [];
      if (o.op === "add") set.entries.set(element, ext.join(" "));
      else if (o.op === "del") set.entries.delete(element);
      else if (o.op === "flush") set.entries.clear();
      else if (this.inUse(o.name)) fail(`set ${o.name} is in use by a kernel component`);
      else copy.delete(o.name);
    });
    this.all.clear();
    for (const [k, s] of copy) this.all.set(k, s);
  }

  async sets(prefix: string): Promise<Map<string, IpSet>> {
    return new Map([...this.all].filter(([k]) => k.startsWith(prefix)).map(([k, s]) => [k, { ...s, entries: new Map(s.entries) }]));
  }

  /** dump lists the sets as `ipset save` would (sorted). */
  dump(): string {
    return [...this.all.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((s) => [
        `create ${s.name} ${s.type} family ${s.family === 6 ? "inet6" : "inet"}${s.skbinfo ? " skbinfo" : ""}`,
        ...[...s.entries].sort().map(([e, x]) => `add ${s.name} ${x ? `${e} ${x}` : e}`),
      ])
      .join("\n");
  }
}
