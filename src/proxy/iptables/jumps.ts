/**
 * The rules podnet adds to the built-in chains (kube-proxy's jump list, plus kubelet's KUBE-FIREWALL
 * jumps) and the canary chains that reveal a flush. They live in chains podnet does not own, so
 * they are never rewritten whole: each built-in chain is read once (from a listing the caller
 * already has, else `-S`), and the missing jumps become `-I CHAIN 1` lines for a restore that never
 * declares a built-in chain (declaring one would flush it). A full proxy sync carries them in its
 * own transaction; `ensureJumps` applies them alone. Legacy iptables loads the whole table for
 * every call (0.15 s each at 10 000 services), which is why nothing here asks per jump. A jump
 * whose target appears in the listing in another spelling is checked with `-C`.
 */
import type { Iptables } from "./flavour.js";

/** Jump is one rule in a built-in chain that sends traffic into a podnet chain. */
export interface Jump {
  table: "filter" | "nat";
  from: string;
  to: string;
  args: string[];
}

const NEW = ["-m", "conntrack", "--ctstate", "NEW"];
const c = (text: string) => ["-m", "comment", "--comment", text];

/** JUMPS are kube-proxy's jumps, in the order it ensures them. */
export const JUMPS: readonly Jump[] = [
  { table: "filter", from: "INPUT", to: "KUBE-EXTERNAL-SERVICES", args: [...NEW, ...c("kubernetes externally-visible service portals")] },
  { table: "filter", from: "FORWARD", to: "KUBE-EXTERNAL-SERVICES", args: [...NEW, ...c("kubernetes externally-visible service portals")] },
  { table: "filter", from: "INPUT", to: "KUBE-NODEPORTS", args: c("kubernetes health check service ports") },
  { table: "filter", from: "FORWARD", to: "KUBE-SERVICES", args: [...NEW, ...c("kubernetes service portals")] },
  { table: "filter", from: "OUTPUT", to: "KUBE-SERVICES", args: [...NEW, ...c("kubernetes service portals")] },
  { table: "filter", from: "FORWARD", to: "KUBE-FORWARD", args: c("kubernetes forwarding rules") },
  { table: "filter", from: "INPUT", to: "KUBE-PROXY-FIREWALL", args: [...NEW, ...c("kubernetes load balancer firewall")] },
  { table: "filter", from: "OUTPUT", to: "KUBE-PROXY-FIREWALL", args: [...NEW, ...c("kubernetes load balancer firewall")] },
  { table: "filter", from: "FORWARD", to: "KUBE-PROXY-FIREWALL", args: [...NEW, ...c("kubernetes load balancer firewall")] },
  { table: "nat", from: "OUTPUT", to: "KUBE-SERVICES", args: c("kubernetes service portals") },
  { table: "nat", from: "PREROUTING", to: "KUBE-SERVICES", args: c("kubernetes service portals") },
  { table: "nat", from: "POSTROUTING", to: "KUBE-POSTROUTING", args: c("kubernetes postrouting rules") },
  { table: "filter", from: "INPUT", to: "KUBE-FIREWALL", args: [] },
  { table: "filter", from: "OUTPUT", to: "KUBE-FIREWALL", args: [] },
];

/** CANARY is the empty chain whose disappearance tells that someone flushed the tables. */
export const CANARY = "KUBE-PROXY-CANARY";
const CANARY_TABLES = ["mangle", "nat", "filter"] as const;

/** jumpRule renders a jump as iptables arguments (without the chain). */
export function jumpArgs(j: Jump): string[] {
  return [...j.args, "-j", j.to];
}

/** jumpLine is the jump as `iptables -S` prints it. */
export function jumpLine(j: Jump): string {
  return `-A ${j.from} ${jumpArgs(j).map((a) => (/[\s"]/.test(a) ? `"${a}"` : a)).join(" ")}`;
}

/** TableLines are lines per table that a restore adds outside podnet's own chains. */
export type TableLines = Map<string, string[]>;

/**
 * missingJumps returns, per table, the `-I CHAIN 1` lines that insert the missing jumps in order,
 * skipping jumps to chains podnet does not write. `listed` holds the rules of built-in chains the
 * caller has already read (`table/CHAIN`); the others are listed here, once each and all at once.
 */
async function missingJumps(
  ipt: Iptables,
  written: (table: string, chain: string) => boolean,
  jumps: readonly Jump[] = JUMPS,
  listed: Map<string, string[]> = new Map(),
): Promise<TableLines> {
  const insert: TableLines = new Map();
  const wanted = jumps.filter((j) => written(j.table, j.to));
  const key = (j: Jump) => `${j.table}/${j.from}`;
  // Each listing is its own iptables process and none depends on another: start them all at once.
  const unread = new Map(wanted.filter((j) => !listed.has(key(j))).map((j) => [key(j), j]));
  await Promise.all([...unread].map(async ([k, j]) => listed.set(k, (await ipt.list(j.table, j.from))?.split("\n") ?? [])));
  for (const j of wanted) {
    const rules = listed.get(key(j)) ?? [];
    const line = jumpLine(j);
    if (rules.includes(line)) continue;
    const maybe = rules.some((r) => r.endsWith(` -j ${j.to}`));
    if (maybe && (await ipt.run(["-t", j.table, "-C", j.from, ...jumpArgs(j)]))) continue;
    insert.set(j.table, [...(insert.get(j.table) ?? []), line.replace(`-A ${j.from} `, `-I ${j.from} 1 `)]);
  }
  return insert;
}

/**
 * jumpEdits returns the missing jumps' lines per table (see missingJumps), after the canary chains'
 * declarations when asked (an empty chain: declaring it again is harmless), and how many jumps are missing.
 */
export async function jumpEdits(
  ipt: Iptables,
  written: (table: string, chain: string) => boolean,
  jumps: readonly Jump[],
  opts: { canaries?: boolean; listed?: Map<string, string[]> } = {},
): Promise<{ lines: TableLines; added: number }> {
  const insert = await missingJumps(ipt, written, jumps, opts.listed);
  const lines: TableLines = new Map(opts.canaries ? CANARY_TABLES.map((t) => [t, [`:${CANARY} - [0:0]`]]) : []);
  for (const [t, l] of insert) lines.set(t, [...(lines.get(t) ?? []), ...l]);
  return { lines, added: [...insert.values()].reduce((n, l) => n + l.length, 0) };
}

/** ensureJumps applies jumpEdits with one restore; returns how many jumps it added. */
export async function ensureJumps(
  ipt: Iptables,
  written: (table: string, chain: string) => boolean,
  jumps: readonly Jump[] = JUMPS,
  opts: { canaries?: boolean } = {},
): Promise<number> {
  const { lines, added } = await jumpEdits(ipt, written, jumps, opts);
  const text = [...lines].flatMap(([t, l]) => [`*${t}`, ...l, "COMMIT"]);
  if (text.length) await ipt.restore(`${text.join("\n")}\n`);
  return added;
}

/** canariesIntact is false once any canary chain, or the nat PREROUTING jump, has gone. */
export async function canariesIntact(ipt: Iptables): Promise<boolean> {
  for (const t of CANARY_TABLES) if ((await ipt.list(t, CANARY)) === undefined) return false;
  const pre = JUMPS.find((j) => j.from === "PREROUTING") as Jump;
  return ipt.run(["-t", "nat", "-C", "PREROUTING", ...jumpArgs(pre)]);
}
