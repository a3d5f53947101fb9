/**
 * The shared maps' and sets' elements, counted by owner: several ports can put the same element
 * (a service's ports share its ClusterIP in cluster-ips). A port's change adds and removes its
 * elements; only an element whose last owner went, or whose value changed, becomes a change.
 */
import type { NftOp } from "../../netfilter/index.js";
import type { NftElement } from "./render.js";

const kindOf = (container: string) => (container === "cluster-ips" || container === "nodeport-ips" ? "set" : "map");
const id = (e: NftElement) => `${e.container}\u0000${e.key}`;

interface Held {
  element: NftElement;
  owners: number;
}

/** ElementTable is what the kernel's maps and sets hold, with the number of ports that want each element. */
export class ElementTable {
  private held = new Map<string, Held>();

  /** size counts the elements. */
  get size(): number {
    return this.held.size;
  }

  /** diff applies ports' element changes (old lists out, new lists in) and returns the operations, without adopting them (only the touched elements are copied). */
  diff(changes: { before: NftElement[]; after: NftElement[] }[]): { ops: NftOp[]; commit: () => void } {
    const next = new Map<string, Held | undefined>();
    const touched = new Set<string>();
    const bump = (e: NftElement, by: number) => {
      const k = id(e);
      const h = next.has(k) ? next.get(k) : this.held.get(k);
      const owners = (h?.owners ?? 0) + by;
      touched.add(k);
      next.set(k, owners <= 0 ? undefined : { element: by > 0 ? e : (h?.element ?? e), owners });
    };
    for (const c of changes) {
      for (const e of c.before) bump(e, -1);
      for (const e of c.after) bump(e, 1);
    }
    const dels: NftOp[] = [];
    const adds: NftOp[] = [];
    for (const k of touched) {
      const was = this.held.get(k)?.element;
      const now = next.get(k)?.element;
      if (was && now && was.value === now.value && was.comment === now.comment) continue;
      if (was) dels.push({ verb: "delete-element", kind: kindOf(was.container), name: was.container, key: was.key });
      if (now) adds.push(addOp(now));
    }
    const commit = () => {
      for (const [k, h] of next) {
        if (h) this.held.set(k, h);
        else this.held.delete(k);
      }
    };
    return { ops: [...dels, ...adds], commit };
  }

  /** all is every element as an add (a full sync, after the containers were flushed). */
  static fill(elements: Iterable<NftElement>): { ops: NftOp[]; table: ElementTable } {
    const table = new ElementTable();
    const { ops, commit } = table.diff([{ before: [], after: [...elements] }]);
    commit();
    return { ops, table };
  }
}

function addOp(e: NftElement): NftOp {
  return {
    verb: "add-element",
    kind: kindOf(e.container),
    name: e.container,
    key: e.key,
    ...(e.value === undefined ? {} : { value: e.value }),
    ...(e.comment === undefined ? {} : { comment: e.comment }),
  };
}
