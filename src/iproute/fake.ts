/**
 * FakeIpNode keeps one namespace's iproute state in memory and applies transactions to it with the
 * kernel's rules where they catch planning mistakes: adding what exists or deleting what does not
 * fails, a route's key is its table, destination and metric, and a failed step leaves the earlier
 * ones applied (as `ip -batch` does). Unit tests assert on its state (`dump()`) and change log.
 */
import type { NetnsRef } from "../exec/types.js";
import type { IpNode, LinkState, RouteQuery } from "./node.js";
import { routeSpec } from "./render.js";
import type { IpTransaction } from "./transaction.js";
import {
  type Address,
  type FdbEntry,
  IpRouteError,
  type IpOp,
  type Link,
  type Neighbour,
  type Route,
  type Rule,
  routeFamily,
  withPrefix,
} from "./types.js";

const MAIN = 254;
const metricOf = (r: Route) => r.metric ?? (routeFamily(r) === 6 ? 1024 : 0);
const routeKey = (r: Route) => `${r.table ?? MAIN} ${withPrefix(r.dst)} ${metricOf(r)}`;

function matches(want: Route, have: Route): boolean {
  if (withPrefix(want.dst) !== withPrefix(have.dst) || (want.table ?? MAIN) !== (have.table ?? MAIN)) return false;
  if (want.metric !== undefined && metricOf(want) !== metricOf(have)) return false;
  if (want.proto !== undefined && String(want.proto) !== String(have.proto)) return false;
  if (want.blackhole && !have.blackhole) return false;
  return want.via === undefined || want.via === have.via;
}

/** FakeIpNode is an in-memory namespace; a shared world lets veth peers appear in other fake namespaces. */
export class FakeIpNode implements IpNode {
  readonly linkMap = new Map<string, Link>();
  addresses: Address[] = [];
  routeList: Route[] = [];
  ruleList: Rule[] = [];
  readonly neighbourMap = new Map<string, Neighbour>();
  readonly fdbMap = new Map<string, FdbEntry>();
  /** log lists every change in order: "route+ 10.244.1.0/24", "neigh- 10.244.1.0", "link+ podnet.1" … */
  log: string[] = [];
  /** applied counts the transactions that changed something. */
  applied = 0;
  /** peers maps a veth end to its other end (which may live in another fake namespace). */
  private readonly peers = new Map<string, { node: FakeIpNode; name: string }>();

  constructor(
    readonly netns: NetnsRef = "fake",
    private readonly world: Map<string, FakeIpNode> = new Map(),
  ) {
    if (netns !== null) world.set(netns, this);
    this.linkMap.set("lo", { name: "lo", up: true });
  }

  async apply(tx: IpTransaction): Promise<Link[]> {
    const shown: Link[] = [];
    if (!tx.empty) this.applied++;
    tx.ops.forEach((op, i) => {
      this.at = i;
      this.step(op, shown);
    });
    return shown;
  }

  /** at is the index of the change being applied, for failedOp. */
  private at = 0;

  private fail(what: string, why: string): never {
    throw new IpRouteError(`failed to ${what} in netns "${this.netns}": ${why}`, { stderr: why, failedOp: this.at });
  }

  private needLink(name: string | undefined, what: string): void {
    if (name !== undefined && !this.linkMap.has(name)) this.fail(what, `Cannot find device "${name}"`);
  }

  private step(op: IpOp, shown: Link[]): void {
    if ("link" in op) return op.verb === "add" ? this.addLink(op.link) : this.delLink(op.link.name);
    if ("linkChange" in op) {
      const c = op.linkChange;
      this.needLink(c.name, "set link");
      this.needLink(c.master, "set link");
      const l = this.linkMap.get(c.name) as Link;
      if (c.master !== undefined) l.master = c.master;
      if (c.mtu !== undefined) l.mtu = c.mtu;
      if (c.up !== undefined) l.up = c.up;
      return;
    }
    if ("linkName" in op) {
      this.needLink(op.linkName, "show link");
      shown.push({ ...(this.linkMap.get(op.linkName) as Link) });
      return;
    }
    if ("address" in op) return this.address(op.verb, op.address);
    if ("route" in op) return this.route(op.verb, op.route);
    if ("rule" in op) return this.rule(op.verb, op.rule);
    if ("neighbour" in op)
      return this.keyed(
        this.neighbourMap,
        `${op.neighbour.dev} ${op.neighbour.dst}`,
        op.verb,
        { ...op.neighbour, permanent: op.neighbour.permanent !== false },
        "neigh",
        op.neighbour.dst,
        op.neighbour.dev,
      );
    return this.keyed(this.fdbMap, `${op.fdb.dev} ${op.fdb.mac} ${op.fdb.dst ?? ""}`, op.verb, op.fdb, "fdb", op.fdb.mac, op.fdb.dev);
  }

  private addLink(l: Link): void {
    if (this.linkMap.has(l.name)) this.fail(`add link "${l.name}"`, "RTNETLINK answers: File exists");
    this.needLink(l.master, `add link "${l.name}"`);
    const { peer, ...own } = l;
    this.linkMap.set(l.name, { ...own, up: l.up === true });
    if (peer) {
      const target = peer.netns === undefined ? this : this.world.get(peer.netns);
      if (peer.netns !== undefined && !target) this.fail(`add link "${l.name}"`, `Invalid "netns" value "${peer.netns}"`);
      if (target) {
        target.linkMap.set(peer.name, {
          name: peer.name,
          kind: "veth",
          up: false,
          ...(peer.mtu ? { mtu: peer.mtu } : {}),
          ...(peer.address ? { address: peer.address } : {}),
        });
        this.peers.set(l.name, { node: target, name: peer.name });
        target.peers.set(peer.name, { node: this, name: l.name });
      }
    }
    this.log.push(`link+ ${l.name}`);
  }

  private delLink(name: string): void {
    this.needLink(name, `delete link "${name}"`);
    const peer = this.peers.get(name);
    this.drop(name);
    if (peer) peer.node.drop(peer.name); // a veth's ends go together
    this.log.push(`link- ${name}`);
  }

  private drop(name: string): void {
    this.linkMap.delete(name);
    this.peers.delete(name);
    this.addresses = this.addresses.filter((a) => a.dev !== name);
    this.routeList = this.routeList.filter((r) => r.dev !== name);
    for (const [k, n] of this.neighbourMap) if (n.dev === name) this.neighbourMap.delete(k);
    for (const [k, f] of this.fdbMap) if (f.dev === name) this.fdbMap.delete(k);
  }

  private address(verb: string, a: Address): void {
    this.needLink(a.dev, `${verb} address ${a.cidr}`);
    const i = this.addresses.findIndex((x) => x.dev === a.dev && x.cidr === a.cidr);
    if (verb === "del") {
      if (i < 0) this.fail(`delete address ${a.cidr}`, "RTNETLINK answers: Cannot assign requested address");
      this.addresses.splice(i, 1);
    } else if (i < 0) this.addresses.push({ dev: a.dev, cidr: a.cidr });
    else if (verb === "add") this.fail(`add address ${a.cidr}`, "RTNETLINK answers: File exists");
    else return;
    this.log.push(`address${verb === "del" ? "-" : "+"} ${a.cidr}`);
  }

  private route(verb: string, r: Route): void {
    const what = `${verb} route ${r.dst}`;
    if (verb === "del") {
      const i = this.routeList.findIndex((h) => matches(r, h));
      if (i < 0) this.fail(what, "RTNETLINK answers: No such process");
      this.routeList.splice(i, 1);
    } else {
      this.needLink(r.dev, what);
      const i = this.routeList.findIndex((h) => routeKey(h) === routeKey(r));
      if (i >= 0 && verb === "add") this.fail(what, "RTNETLINK answers: File exists");
      const stored: Route = { ...r, dst: r.dst === "default" ? "default" : withPrefix(r.dst) };
      if (i >= 0) this.routeList[i] = stored;
      else this.routeList.push(stored);
    }
    this.log.push(`route${verb === "del" ? "-" : "+"} ${r.dst}`);
  }

  private rule(verb: string, r: Rule): void {
    const same = (x: Rule) => x.from === r.from && x.priority === r.priority && (verb === "del" || x.table === r.table);
    if (verb === "del") {
      const i = this.ruleList.findIndex(same);
      if (i < 0) this.fail(`delete rule from ${r.from}`, "RTNETLINK answers: No such file or directory");
      this.ruleList.splice(i, 1);
    } else this.ruleList.push({ ...r });
    this.log.push(`rule${verb === "del" ? "-" : "+"} ${r.from} ${r.table}`);
  }

  private keyed<T extends { dev: string }>(
    m: Map<string, T>,
    key: string,
    verb: string,
    v: T,
    kind: string,
    name: string,
    dev: string,
  ): void {
    this.needLink(dev, `${verb} ${kind} ${name}`);
    if (verb === "del") {
      if (!m.delete(key)) this.fail(`delete ${kind} ${name}`, "RTNETLINK answers: No such file or directory");
    } else m.set(key, { ...v });
    this.log.push(`${kind}${verb === "del" ? "-" : "+"} ${name}`);
  }

  async routes(q: RouteQuery): Promise<Route[]> {
    return this.routeList
      .filter((r) => routeFamily(r) === q.family)
      .filter((r) => q.proto === undefined || String(r.proto) === String(q.proto))
      .filter((r) => (q.table === "all" ? true : (r.table ?? MAIN) === (q.table ?? MAIN)))
      .map((r) => ({ ...r }));
  }

  async rules(): Promise<Rule[]> {
    return this.ruleList.map((r) => ({ ...r }));
  }

  async neighbours(dev: string): Promise<Neighbour[]> {
    return [...this.neighbourMap.values()].filter((n) => n.dev === dev).map((n) => ({ ...n }));
  }

  async fdb(dev: string): Promise<FdbEntry[]> {
    return [...this.fdbMap.values()].filter((f) => f.dev === dev).map((f) => ({ ...f }));
  }

  async link(name: string): Promise<LinkState | undefined> {
    const l = this.linkMap.get(name);
    return l ? { link: { ...l }, addresses: this.addresses.filter((a) => a.dev === name).map((a) => ({ ...a })) } : undefined;
  }

  async links(q: { master?: string } = {}): Promise<Link[]> {
    return [...this.linkMap.values()].filter((l) => q.master === undefined || l.master === q.master).map((l) => ({ ...l }));
  }

  /** dump lists the whole state, one sorted line per object, for assertions. */
  dump(): string[] {
    const links = [...this.linkMap.values()]
      .filter((l) => l.name !== "lo")
      .map((l) => `link ${l.name}${l.kind ? ` ${l.kind}` : ""}${l.master ? ` master ${l.master}` : ""}${l.up ? " up" : ""}`);
    return [
      ...links,
      ...this.addresses.map((a) => `address ${a.cidr} dev ${a.dev}`),
      ...this.routeList.map((r) => `route ${routeSpec(r)}`),
      ...this.ruleList.map((r) => `rule from ${r.from} lookup ${r.table} priority ${r.priority}`),
      ...[...this.neighbourMap.values()].map((n) => `neigh ${n.dst} lladdr ${n.lladdr} dev ${n.dev}`),
      ...[...this.fdbMap.values()].map((f) => `fdb ${f.mac} dev ${f.dev} dst ${f.dst ?? ""}`),
    ].sort();
  }
}
