/**
 * The matches a traced packet is judged by beyond addresses and ports: ipset membership (hash:ip,
 * hash:net with `nomatch` exceptions, hash:ip,port), ipset skbinfo marks (`-j SET --map-mark`), port
 * ranges and multiport lists, interface names with iptables' `+` wildcard, and MARK's arithmetic.
 * Pure: sets come from `ipset save` (parseIpsetSave), nothing reads the kernel.
 */
import type { IpSet } from "../ipset/types.js";
import { cidrContains, parseCIDR } from "../../util/ip.js";

/** Sets are the ipsets a trace may consult, by name. */
export type Sets = ReadonlyMap<string, IpSet>;

/** PacketView is what set lookups need of a packet: addresses, protocol and destination port. */
export interface PacketView {
  src: string;
  dst: string;
  proto: string;
  sport?: number;
  dport: number;
}

function netHolds(entry: string, ip: string): boolean {
  const c = parseCIDR(entry.includes("/") ? entry : `${entry}/${entry.includes(":") ? 128 : 32}`);
  return c !== undefined && cidrContains(c, ip);
}

/** netLookup finds the most specific entry of a hash:net set holding ip; a `nomatch` one means not a member. */
function netLookup(set: IpSet, ip: string): string | undefined {
  let best: { entry: string; ext: string; bits: number } | undefined;
  for (const [entry, ext] of set.entries) {
    if (!netHolds(entry, ip)) continue;
    const bits = Number(entry.split("/")[1] ?? (entry.includes(":") ? 128 : 32));
    if (!best || bits > best.bits) best = { entry, ext, bits };
  }
  return best && !best.ext.includes("nomatch") ? best.entry : undefined;
}

/** memberEntry is the entry of `set` the packet's fields (`dirs`, e.g. "src" or "dst,dst") match, or undefined. */
export function memberEntry(set: IpSet, dirs: string, p: PacketView): string | undefined {
  const [first = "src", second] = dirs.split(",");
  const ip = first === "src" ? p.src : p.dst;
  if (set.type === "hash:net") return netLookup(set, ip);
  if (set.type === "hash:ip") return set.entries.has(ip) ? ip : undefined;
  if (set.type === "hash:ip,port") {
    const port = second === "src" ? p.sport : p.dport;
    const key = `${ip},${p.proto}:${port}`;
    return set.entries.has(key) ? key : undefined;
  }
  throw new Error(`tracePacket: set type ${set.type} of "${set.name}" is not traced`);
}

/** setMark is the skbinfo mark of the entry a `-j SET --map-set` finds: mark and mask, or undefined. */
export function setMark(set: IpSet, entry: string): { value: number; mask: number } | undefined {
  const m = /skbmark (0x[0-9a-f]+)(?:\/(0x[0-9a-f]+))?/i.exec(set.entries.get(entry) ?? "");
  if (!m) return undefined;
  return { value: Number(m[1]), mask: m[2] === undefined ? 0xffffffff : Number(m[2]) };
}

/** portIn says whether port is in a `--dport` value: one port or a `lo:hi` range. */
export function portIn(spec: string, port: number): boolean {
  const [lo, hi] = spec.split(":").map(Number);
  return hi === undefined ? port === lo : port >= (lo ?? 0) && port <= hi;
}

/** portInList says whether port is in a multiport list: `80,443,8000:8080`. */
export const portInList = (spec: string, port: number) => spec.split(",").some((s) => portIn(s, port));

/** ifaceMatches says whether iface matches an iptables interface name (`cni+` matches every cni…). */
export function ifaceMatches(pattern: string, iface: string | undefined): boolean {
  if (iface === undefined) return false;
  return pattern.endsWith("+") ? iface.startsWith(pattern.slice(0, -1)) : iface === pattern;
}

/** setXmark applies MARK --set-xmark value/mask: zero the mask's bits, then XOR the value. */
export function setXmark(mark: number, v: string): number {
  const [value = "0", mask] = v.split("/");
  const m = mask === undefined ? 0xffffffff : Number(mask);
  return ((mark & ~m) ^ Number(value)) >>> 0;
}

/** inNet says whether ip is in an iptables address (`10.0.0.0/8`, or one address). */
export function inNet(net: string, ip: string): boolean {
  const c = parseCIDR(net.includes("/") ? net : `${net}/${net.includes(":") ? 128 : 32}`);
  return c !== undefined && cidrContains(c, ip);
}

/** parseMark reads `value/mask` (a full mask when none is given). */
export function parseMark(v: string): { value: number; mask: number } {
  const [value = "0", mask] = v.split("/");
  return { value: Number(value), mask: mask === undefined ? 0xffffffff : Number(mask) };
}

/** hostPort reads a DNAT destination `ip:port` or `[v6]:port`. */
export function hostPort(to: string): { ip: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(to);
  if (!m) throw new Error(`tracePacket: cannot read DNAT destination "${to}"`);
  return { ip: m[1] as string, port: Number(m[2]) };
}

/** marked is the mark after a MARK target (--or-mark, --xor-mark, --set-xmark) or a SET target with --map-mark. */
export function marked(
  st: { mark: number; dst: string; dport: number },
  opts: Map<string, string>,
  pkt: PacketView,
  sets: Sets | undefined,
): number {
  const or = opts.get("--or-mark");
  const xor = opts.get("--xor-mark");
  const xmark = opts.get("--set-xmark") ?? opts.get("--set-mark");
  if (or !== undefined) return (st.mark | Number(or)) >>> 0;
  if (xor !== undefined) return (st.mark ^ Number(xor)) >>> 0;
  if (xmark !== undefined) return setXmark(st.mark, xmark);
  const map = opts.get("--map-set");
  if (map === undefined || !opts.has("--map-mark")) return st.mark;
  const [name = "", dirs = "src"] = map.split(" ");
  const set = sets?.get(name);
  if (!set) throw new Error(`tracePacket: no ipset "${name}" for -j SET`);
  const entry = memberEntry(set, dirs, { ...pkt, dst: st.dst, dport: st.dport });
  const m = entry === undefined ? undefined : setMark(set, entry);
  return m === undefined ? st.mark : ((st.mark & ~m.mask) | (m.value & m.mask)) >>> 0;
}
