/**
 * IP and CIDR arithmetic on BigInt, with parsing and canonical formatting by ipaddr.js.
 * Both families share one representation so allocators and renderers need no per-family branches.
 */
import ipaddr from "ipaddr.js";

/** Family is 4 or 6. */
export type Family = 4 | 6;

/** Cidr is a parsed network: family, first address, prefix length. */
export interface Cidr {
  family: Family;
  base: bigint;
  prefix: number;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

/** parseIP parses an address in canonical or shorthand form, or returns undefined. */
export function parseIP(s: string): { family: Family; value: bigint } | undefined {
  if (typeof s !== "string" || !ipaddr.isValid(s) || (s.includes(".") && !ipaddr.IPv4.isValidFourPartDecimal(s) && !s.includes(":")))
    return undefined;
  const a = ipaddr.parse(s);
  const bytes = a.toByteArray();
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return { family: a.kind() === "ipv4" ? 4 : 6, value: v };
}

/** isIP says whether s is a valid IPv4 or IPv6 address. */
export function isIP(s: unknown): s is string {
  return typeof s === "string" && parseIP(s) !== undefined;
}

/** formatIP renders an address canonically (RFC 5952 for IPv6). */
export function formatIP(family: Family, v: bigint): string {
  const n = BITS[family] / 8;
  const bytes: number[] = [];
  for (let i = n - 1; i >= 0; i--) bytes.push(Number((v >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

/** parseCIDR parses "a.b.c.d/n"; with strict it rejects host bits set. */
export function parseCIDR(s: string, strict = false): Cidr | undefined {
  if (typeof s !== "string") return undefined;
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIP(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(p)) return undefined;
  const prefix = Number(p);
  if (prefix > BITS[ip.family]) return undefined;
  const base = ip.value & mask(ip.family, prefix);
  if (strict && base !== ip.value) return undefined;
  return { family: ip.family, base, prefix };
}

/** isCIDR says whether s is a valid CIDR. */
export function isCIDR(s: unknown): s is string {
  return typeof s === "string" && parseCIDR(s) !== undefined;
}

/** mask is the network mask of a prefix length. */
export function mask(family: Family, prefix: number): bigint {
  const bits = BigInt(BITS[family]);
  const all = (1n << bits) - 1n;
  return ((all >> (bits - BigInt(prefix))) << (bits - BigInt(prefix))) & all;
}

/** cidrSize is the number of addresses in a network. */
export function cidrSize(c: Cidr): bigint {
  return 1n << BigInt(BITS[c.family] - c.prefix);
}

/** cidrContains says whether an address lies in a network. */
export function cidrContains(c: Cidr, ip: string): boolean {
  const a = parseIP(ip);
  return a !== undefined && a.family === c.family && (a.value & mask(c.family, c.prefix)) === c.base;
}

/** cidrOverlaps says whether two networks share an address. */
export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const p = Math.min(a.prefix, b.prefix);
  return (a.base & mask(a.family, p)) === (b.base & mask(b.family, p));
}

/** nthIP is the address at offset n of a network (n may be negative: from the end). */
export function nthIP(c: Cidr, n: bigint): string {
  const off = n >= 0n ? n : cidrSize(c) + n;
  return formatIP(c.family, c.base + off);
}

/** formatCIDR renders a network as text. */
export function formatCIDR(c: Cidr): string {
  return `${formatIP(c.family, c.base)}/${c.prefix}`;
}

/** subnet returns the index-th subnet of length newPrefix inside c. */
export function subnet(c: Cidr, newPrefix: number, index: bigint): Cidr | undefined {
  if (newPrefix < c.prefix || newPrefix > BITS[c.family]) return undefined;
  const count = 1n << BigInt(newPrefix - c.prefix);
  if (index < 0n || index >= count) return undefined;
  return {
    family: c.family,
    base: c.base + (index << BigInt(BITS[c.family] - newPrefix)),
    prefix: newPrefix,
  };
}
