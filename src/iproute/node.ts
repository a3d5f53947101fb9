/**
 * IpNode is one network namespace seen through iproute2: typed reads of its links, routes, rules,
 * neighbours and FDB, and `apply` for a transaction. RealIpNode runs `ip`/`bridge` through the
 * executor (one process per batch); FakeIpNode (fake.ts) keeps the same state in memory.
 */
import type { EarlyCommand, Executor, NetnsRef } from "../exec/types.js";
import { startEarly } from "../exec/early.js";
import { ExecError } from "../exec/types.js";
import {
  parseFdb,
  parseLink,
  parseNeighbour,
  parseRoute,
  parseRule,
  type RawFdb,
  type RawLink,
  type RawNeighbour,
  type RawRoute,
  type RawRule,
} from "./parse.js";
import { type Batch, renderBatches } from "./render.js";
import type { IpTransaction } from "./transaction.js";
import { type Address, type FdbEntry, IpRouteError, type Link, type Neighbour, type Route, type Rule } from "./types.js";

/** RouteQuery selects routes: one family, optionally one protocol and table ("all" for every table). */
export interface RouteQuery {
  family: 4 | 6;
  proto?: number | string;
  table?: number | "all";
}

/** LinkState is a link with the global addresses it holds. */
export interface LinkState {
  link: Link;
  addresses: Address[];
}

/** IpNode reads and changes one namespace's iproute state. */
export interface IpNode {
  readonly netns: NetnsRef;
  /** apply runs a transaction's batches in order; it returns the links its `showLink` steps printed. */
  apply(tx: IpTransaction): Promise<Link[]>;
  routes(q: RouteQuery): Promise<Route[]>;
  rules(): Promise<Rule[]>;
  neighbours(dev: string): Promise<Neighbour[]>;
  fdb(dev: string): Promise<FdbEntry[]>;
  /** link reads one link with its addresses; undefined when it does not exist. */
  link(name: string): Promise<LinkState | undefined>;
  /** links lists links, or only the ports of a bridge. */
  links(q?: { master?: string }): Promise<Link[]>;
}

/** IP_JSON_BATCH is the argv of a batch that may print JSON (`ip -j -batch -`). */
export const IP_JSON_BATCH = ["ip", "-j", "-batch", "-"] as const;

/** startBatch starts `ip -batch -` in a namespace now, to be given a transaction by applyStarted later (its start-up overlaps the caller's work). */
export function startBatch(exec: Executor, netns: NetnsRef): EarlyCommand {
  return startEarly(exec, { argv: ["ip", "-batch", "-"], netns });
}

/** failure wraps a failed batch, naming the change it stopped at (`ip -batch` says "Command failed -:LINE"). */
function failure(netns: NetnsRef, what: string, e: unknown, batch?: Batch): IpRouteError {
  const stderr = e instanceof ExecError ? e.stderr : "";
  const where = netns === null ? "this namespace" : `netns "${netns}"`;
  const line = /Command failed -:(\d+)/.exec(stderr)?.[1];
  const failedOp = line === undefined ? undefined : batch?.ops[Number(line) - 1];
  return new IpRouteError(`failed to ${what} in ${where}: ${stderr.trim() || (e as Error).message}`, {
    cause: e,
    stderr,
    ...(failedOp === undefined ? {} : { failedOp }),
  });
}

/** parseShown reads the links a JSON batch printed (one array per `link show`). */
export function parseShown(stdout: string): Link[] {
  const out: Link[] = [];
  for (const line of stdout.split("\n"))
    if (line.trim().startsWith("[")) for (const l of JSON.parse(line) as RawLink[]) out.push(parseLink(l).link);
  return out;
}

/** RealIpNode is a namespace on this machine. */
export class RealIpNode implements IpNode {
  constructor(
    private readonly exec: Executor,
    readonly netns: NetnsRef,
  ) {}

  async apply(tx: IpTransaction): Promise<Link[]> {
    const shown: Link[] = [];
    for (const b of renderBatches(tx)) {
      const json = b.tool === "ip" && tx.ops.some((o) => "linkName" in o);
      const argv = json ? [...IP_JSON_BATCH] : [b.tool, "-batch", "-"];
      try {
        const r = await this.exec.run({ argv, netns: this.netns, stdin: b.text });
        if (json) shown.push(...parseShown(r.stdout));
      } catch (e) {
        throw failure(this.netns, `apply ${b.tool} batch`, e, b);
      }
    }
    return shown;
  }

  /** applyStarted feeds a transaction of `ip` changes to a batch process started earlier with IP_JSON_BATCH or `ip -batch -`. */
  async applyStarted(started: EarlyCommand, tx: IpTransaction): Promise<Link[]> {
    const batches = renderBatches(tx);
    if (batches.some((b) => b.tool !== "ip")) throw new IpRouteError("failed to apply a started ip batch: it holds bridge changes");
    try {
      return parseShown((await started.feed(batches[0]?.text ?? "")).stdout);
    } catch (e) {
      throw failure(this.netns, "apply ip batch", e, batches[0]);
    }
  }

  private async json<T>(argv: string[]): Promise<T[]> {
    const r = await this.exec.run({ argv, netns: this.netns, okCodes: [0, 1, 255] });
    return r.code === 0 && r.stdout.trim() ? (JSON.parse(r.stdout) as T[]) : [];
  }

  async routes(q: RouteQuery): Promise<Route[]> {
    const argv = ["ip", `-${q.family}`, "-j", "route", "show"];
    if (q.table !== undefined) argv.push("table", String(q.table));
    if (q.proto !== undefined) argv.push("proto", String(q.proto));
    const known: Partial<Route> = q.proto === undefined ? {} : { proto: q.proto };
    if (typeof q.table === "number") known.table = q.table;
    return (await this.json<RawRoute>(argv)).map((r) => parseRoute(r, known));
  }

  async rules(): Promise<Rule[]> {
    return (await this.json<RawRule>(["ip", "-j", "rule", "show"])).map(parseRule);
  }

  async neighbours(dev: string): Promise<Neighbour[]> {
    return (await this.json<RawNeighbour>(["ip", "-j", "neigh", "show", "dev", dev])).map((n) => parseNeighbour(n, dev));
  }

  async fdb(dev: string): Promise<FdbEntry[]> {
    return (await this.json<RawFdb>(["bridge", "-j", "fdb", "show", "dev", dev])).map((f) => parseFdb(f, dev));
  }

  async link(name: string): Promise<LinkState | undefined> {
    const [l] = await this.json<RawLink>(["ip", "-j", "-d", "address", "show", "dev", name]);
    return l ? parseLink(l) : undefined;
  }

  async links(q: { master?: string } = {}): Promise<Link[]> {
    const argv = ["ip", "-j", "link", "show", ...(q.master ? ["master", q.master] : [])];
    return (await this.json<RawLink>(argv)).map((l) => parseLink(l).link);
  }
}
