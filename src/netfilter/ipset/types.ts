/**
 * The ipset vocabulary: set types, a set's content as data, and the canonical spelling of entries
 * (what `ipset save` prints), so desired and observed sets compare as plain strings.
 */
import { type Cidr, formatCIDR, formatIP, parseCIDR, parseIP } from "../../util/ip.js";

/** SetType is an ipset type podnet creates (the last four for kube-proxy's ipvs mode, rendered only). */
export type SetType = "hash:ip" | "hash:net" | "hash:ip,port" | "hash:ip,port,ip" | "hash:ip,port,net" | "bitmap:port";

/** SetSpec is a set's identity: name, type, family and whether entries carry skb marks. */
export interface SetSpec {
  name: string;
  type: SetType;
  family: 4 | 6;
  skbinfo?: boolean;
}

/** IpSet is a set with its entries: element → extension text ("" or "nomatch" or "skbmark 0x…/0x…"). */
export interface IpSet extends SetSpec {
  entries: Map<string, string>;
}

const NAME = /^[A-Za-z0-9_.:-]{1,31}$/;

/** checkSetName refuses names ipset would refuse or that could split into several restore words. */
export function checkSetName(name: string): string {
  if (!NAME.test(name)) throw new Error(`failed to use ipset "${name}": names are 1-31 of [A-Za-z0-9_.:-]`);
  return name;
}

/** ipEntry is an address as ipset prints it, or undefined if it is not an address of the family. */
export function ipEntry(family: 4 | 6, ip: string): string | undefined {
  const p = parseIP(ip);
  return p && p.family === family ? formatIP(family, p.value) : undefined;
}

/** netEntries is a CIDR as ipset prints it (a host prefix bare); a /0, which ipset refuses, is its two halves. */
export function netEntries(family: 4 | 6, cidr: string): string[] {
  const c = parseCIDR(cidr);
  if (!c || c.family !== family) return [];
  const bits = family === 4 ? 32 : 128;
  const halves: Cidr[] = c.prefix === 0 ? [0n, 1n << BigInt(bits - 1)].map((base) => ({ family, base, prefix: 1 })) : [c];
  return halves.map((h) => (h.prefix === bits ? formatIP(family, h.base) : formatCIDR(h)));
}

/** skbmark is the extension that sets mark bits: the mask is printed only when it is not all ones. */
export function skbmark(value: number, mask: number): string {
  const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
  return mask >>> 0 === 0xffffffff ? `skbmark ${hex(value)}` : `skbmark ${hex(value)}/${hex(mask)}`;
}

/** createLine is the `create` line of a set in restore syntax. */
export function createLine(s: SetSpec): string {
  // A bitmap of ports has a range and no address family.
  const where = s.type === "bitmap:port" ? "range 0-65535" : `family ${s.family === 6 ? "inet6" : "inet"}`;
  return `create ${checkSetName(s.name)} ${s.type} ${where}${s.skbinfo ? " skbinfo" : ""}`;
}

/** sameSpec says whether two sets have the same type, family and extensions. */
export function sameSpec(a: SetSpec, b: SetSpec): boolean {
  return a.type === b.type && a.family === b.family && !!a.skbinfo === !!b.skbinfo;
}
