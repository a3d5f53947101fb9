/**
 * A read-only snapshot of the machine's root network namespace (links, addresses, routes, rules),
 * so tests can prove podnet changed nothing there. Counters are stripped: traffic changes them.
 */
import type { Executor } from "../src/exec/types.js";

const READS: string[][] = [
  ["ip", "-d", "link", "show"],
  ["ip", "address", "show"],
  ["ip", "route", "show", "table", "all"],
  ["ip", "-6", "route", "show", "table", "all"],
  ["ip", "rule", "show"],
  ["iptables-save"],
  ["ip6tables-save"],
  ["nft", "list", "ruleset"],
  ["sysctl", "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"],
];

function normalise(text: string): string {
  return text
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .map((l) =>
      l
        .replace(/\[\d+:\d+\]/g, "")
        .replace(/counter packets \d+ bytes \d+/g, "counter")
        .replace(/valid_lft \S+ preferred_lft \S+/g, ""),
    )
    .join("\n");
}

/** snapshotRootNetns reads the root namespace's network state (never changes it). */
export async function snapshotRootNetns(exec: Executor): Promise<string> {
  const parts: string[] = [];
  for (const argv of READS) {
    const r = await exec.run({ argv, netns: null, okCodes: [0, 1, 2, 127] }).catch((e: Error) => ({ stdout: `unavailable: ${e.message}` }));
    parts.push(`== ${argv.join(" ")}\n${normalise(r.stdout)}`);
  }
  return parts.join("\n");
}

/** diffLines lists lines present in only one of two snapshots. */
export function diffLines(a: string, b: string): string[] {
  const as = new Set(a.split("\n"));
  const bs = new Set(b.split("\n"));
  return [...[...as].filter((l) => !bs.has(l)).map((l) => `- ${l}`), ...[...bs].filter((l) => !as.has(l)).map((l) => `+ ${l}`)];
}
