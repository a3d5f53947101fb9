/**
 * hashName: short stable names for kernel objects (chains, sets) derived from what they stand for,
 * as kube-proxy names its chains: a prefix and the first 16 characters of the base32 (RFC 4648)
 * encoding of SHA-256 over the input.
 */
import { hash } from "node:crypto";

const ALPHABET = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"].map((c) => c.charCodeAt(0));
/** codes is a prefix as character codes, for hashName. */
export const codes = (prefix: string): number[] => [...prefix].map((c) => c.charCodeAt(0));

/**
 * hashName returns prefix + the first 16 base32 characters of SHA-256(input), i.e. its first 80
 * bits, 5 at a time. The digest comes as a "binary" string (one character per byte), several times
 * cheaper to get than a Buffer, and the name is built from character codes in one piece: a flat
 * string, not a concatenation the ruleset would keep as two.
 */
export function hashName(prefix: number[], input: string): string {
  const d = hash("sha256", input, "binary");
  const out = prefix.slice();
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < 10; i++) {
    acc = (acc << 8) | d.charCodeAt(i);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push(ALPHABET[(acc >> bits) & 31] as number);
    }
    acc &= (1 << bits) - 1;
  }
  return String.fromCharCode(...out);
}
