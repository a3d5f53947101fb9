/** MAC addresses podnet makes: locally administered unicast, random or derived from a name so they survive restarts. */
import { createHash, randomBytes } from "node:crypto";

function format(b: Buffer): string {
  b[0] = ((b[0] as number) & 0xfe) | 0x02; // unicast, locally administered
  return [...b.subarray(0, 6)].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/** derivedMac is a stable MAC for a seed (a node's name, say): the same seed always gives the same address. */
export function derivedMac(seed: string): string {
  return format(createHash("sha256").update(seed).digest());
}

/** randomMac is a fresh random MAC. */
export function randomMac(): string {
  return format(randomBytes(6));
}
