/**
 * IpTransaction collects iproute changes in the order they must happen (flannel's vxlan needs a
 * neighbour and an FDB entry before the route that uses them, and the reverse on removal). It is
 * plain data: render.ts turns it into batches, a node applies it, a fake node replays it in memory.
 */
import type { Address, FdbEntry, IpOp, Link, LinkChange, Neighbour, Route, Rule } from "./types.js";

/** IpTransaction is an ordered list of iproute changes for one network namespace. */
export class IpTransaction {
  readonly ops: IpOp[] = [];

  /** addLink creates a link (a veth pair with its peer, a bridge, a VXLAN device). */
  addLink(link: Link): this {
    return this.push({ verb: "add", link });
  }
  /** delLink deletes a link (a veth takes its peer with it). */
  delLink(name: string): this {
    return this.push({ verb: "del", link: { name } });
  }
  /** setLink changes a link's master, MTU, state or hairpin flag. */
  setLink(change: LinkChange): this {
    return this.push({ verb: "set", linkChange: change });
  }
  /** showLink asks for a link's state within the batch (its JSON comes back from apply). */
  showLink(name: string): this {
    return this.push({ verb: "show", linkName: name });
  }
  /** addAddress adds an address (fails if present). */
  addAddress(address: Address): this {
    return this.push({ verb: "add", address });
  }
  /** replaceAddress adds an address or leaves it as it is. */
  replaceAddress(address: Address): this {
    return this.push({ verb: "replace", address });
  }
  /** delAddress removes an address. */
  delAddress(address: Address): this {
    return this.push({ verb: "del", address });
  }
  /** addRoute adds a route (fails if one with the same key exists). */
  addRoute(route: Route): this {
    return this.push({ verb: "add", route });
  }
  /** replaceRoute adds a route or replaces the one with the same destination, table and metric. */
  replaceRoute(route: Route): this {
    return this.push({ verb: "replace", route });
  }
  /** delRoute deletes the route matching the given fields. */
  delRoute(route: Route): this {
    return this.push({ verb: "del", route });
  }
  /** addRule adds a policy routing rule. */
  addRule(rule: Rule): this {
    return this.push({ verb: "add", rule });
  }
  /** delRule deletes a policy routing rule. */
  delRule(rule: Rule): this {
    return this.push({ verb: "del", rule });
  }
  /** replaceNeighbour writes a neighbour entry. */
  replaceNeighbour(neighbour: Neighbour): this {
    return this.push({ verb: "replace", neighbour });
  }
  /** delNeighbour deletes a neighbour entry. */
  delNeighbour(neighbour: Pick<Neighbour, "dst" | "dev">): this {
    return this.push({ verb: "del", neighbour: { ...neighbour, lladdr: "" } });
  }
  /** replaceFdb writes a forwarding database entry. */
  replaceFdb(fdb: FdbEntry): this {
    return this.push({ verb: "replace", fdb });
  }
  /** delFdb deletes a forwarding database entry. */
  delFdb(fdb: FdbEntry): this {
    return this.push({ verb: "del", fdb });
  }
  /** append adds another transaction's changes after this one's. */
  append(other: IpTransaction): this {
    for (const op of other.ops) this.ops.push(op);
    return this;
  }

  /** size counts the changes. */
  get size(): number {
    return this.ops.length;
  }
  /** empty says whether there is nothing to do. */
  get empty(): boolean {
    return this.ops.length === 0;
  }

  private push(op: IpOp): this {
    this.ops.push(op);
    return this;
  }
}
