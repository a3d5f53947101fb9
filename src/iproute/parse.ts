/**
 * Parsing `ip -j` / `bridge -j` output into podnet's iproute objects. iproute2 leaves out the
 * fields a query filtered on (a route listed with `proto 81` has no "protocol"), so callers pass
 * them back in; counters and flags podnet does not manage are dropped.
 */
import type { Address, FdbEntry, Link, Neighbour, Route, Rule } from "./types.js";

/** RawRoute is the part of `ip -j route show` podnet reads. */
export interface RawRoute {
  dst: string;
  type?: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
  table?: string;
  flags?: string[];
  nexthops?: { gateway?: string }[];
}

const num = (s: string | undefined): number | string | undefined => (s === undefined ? undefined : /^\d+$/.test(s) ? Number(s) : s);

/** parseRoute turns one listed route into a Route; known holds the fields the query filtered on. */
export function parseRoute(r: RawRoute, known: Partial<Route> = {}): Route {
  const table = r.table === undefined || r.table === "main" ? known.table : Number(r.table);
  const out: Route = { dst: r.dst === "default" ? "default" : r.dst.includes("/") ? r.dst : `${r.dst}/${r.dst.includes(":") ? 128 : 32}` };
  if (r.type === "blackhole") out.blackhole = true;
  if (r.gateway) out.via = r.gateway;
  if (r.nexthops?.length) out.nexthops = r.nexthops.flatMap((h) => (h.gateway ? [h.gateway] : []));
  if (r.dev && r.type !== "blackhole") out.dev = r.dev;
  if (r.flags?.includes("onlink")) out.onlink = true;
  if (r.scope === "link") out.scope = "link";
  const proto = num(r.protocol) ?? known.proto;
  if (proto !== undefined) out.proto = proto;
  if (r.metric !== undefined) out.metric = r.metric;
  if (table !== undefined && !Number.isNaN(table)) out.table = table;
  return out;
}

/** RawRule is the part of `ip -j rule show` podnet reads. */
export interface RawRule {
  priority: number;
  src?: string;
  srclen?: number;
  table?: string;
  suppress_prefixlen?: number;
  protocol?: string;
}

/** parseRule turns one listed rule into a Rule (rules without a source prefix come back with from "all"). */
export function parseRule(r: RawRule): Rule {
  const out: Rule = {
    from: r.srclen === undefined ? (r.src ?? "all") : `${r.src}/${r.srclen}`,
    table: r.table === undefined || r.table === "main" ? "main" : Number(r.table),
    priority: r.priority,
  };
  if (r.suppress_prefixlen !== undefined) out.suppressPrefixLength = r.suppress_prefixlen;
  const proto = num(r.protocol);
  if (typeof proto === "number") out.protocol = proto;
  return out;
}

/** RawLink is the part of `ip -j -d address show` podnet reads. */
export interface RawLink {
  ifname: string;
  flags?: string[];
  mtu?: number;
  address?: string;
  master?: string;
  ifalias?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; link?: string; port?: number; learning?: boolean } };
  addr_info?: { family?: string; local: string; prefixlen: number; scope?: string }[];
}

/** parseLink turns one listed link into a Link and the global addresses it holds. */
export function parseLink(l: RawLink): { link: Link; addresses: Address[] } {
  const link: Link = { name: l.ifname, up: (l.flags ?? []).includes("UP") };
  if (l.mtu !== undefined) link.mtu = l.mtu;
  if (l.address) link.address = l.address;
  if (l.master) link.master = l.master;
  if (l.ifalias) link.alias = l.ifalias;
  const kind = l.linkinfo?.info_kind;
  if (kind === "veth" || kind === "bridge" || kind === "ifb") link.kind = kind;
  const d = l.linkinfo?.info_data;
  if (kind === "vxlan" && d)
    Object.assign(link, {
      kind,
      vxlan: { id: d.id ?? 0, local: d.local ?? "", dev: d.link ?? "", port: d.port ?? 0, learning: d.learning !== false },
    });
  const addresses = (l.addr_info ?? [])
    .filter((a) => a.scope !== "link" && a.scope !== "host")
    .map((a) => ({ dev: l.ifname, cidr: `${a.local}/${a.prefixlen}` }));
  return { link, addresses };
}

/** RawNeighbour is the part of `ip -j neigh show` podnet reads. */
export interface RawNeighbour {
  dst: string;
  lladdr?: string;
  state?: string[];
}

/** parseNeighbour turns one listed neighbour of dev into a Neighbour. */
export function parseNeighbour(n: RawNeighbour, dev: string): Neighbour {
  return { dst: n.dst, lladdr: n.lladdr ?? "", dev, permanent: (n.state ?? []).includes("PERMANENT") };
}

/** RawFdb is the part of `bridge -j fdb show` podnet reads. */
export interface RawFdb {
  mac: string;
  dst?: string;
}

/** parseFdb turns one listed FDB entry of dev into an FdbEntry. */
export function parseFdb(f: RawFdb, dev: string): FdbEntry {
  return f.dst === undefined ? { mac: f.mac, dev } : { mac: f.mac, dev, dst: f.dst };
}
