/**
 * The rules podnet adds to the built-in chains (kube-proxy's jump list, plus kubelet's KUBE-FIREWALL
 * jumps) and the canary chains that reveal a flush. They live in chains podnet does not own, so
 * they are never rewritten whole: each built-in chain is listed once (`-S`), and the missing jumps
 * are inserted at the top with one `iptables-restore --noflush` that never declares a built-in
 * chain (declaring one would flush it). Legacy iptables loads the whole table for every call
 * (0.15 s each at 10 000 services), so this costs 6 calls and a restore instead of a `-C` per jump
 * and an `-I` per missing one. A jump whose target appears in the listing in another spelling is
 * checked with `-C` before it is inserted.
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

/** ensureJumps makes sure each jump exists (prepending missing ones, in order), skipping jumps to chains podnet did not write; with canaries, the canary chains are created in the same restore. */
export async function ensureJumps(
  ipt: Iptables,
  written: (table: string, chain: string) => boolean,
  jumps: readonly Jump[] = JUMPS,
  opts: { canaries?: boolean } = {},
): Promise<number> {
  const listed = new Map<string, string[]>();
  const insert = new Map<string, string[]>();
  for (const j of jumps) {
    if (!written(j.table, j.to)) continue;
    const key = `${j.table}/${j.from}`;
    let rules = listed.get(key);
    if (!rules) listed.set(key, (rules = (await ipt.list(j.table, j.from))?.split("\n") ?? []));
    const line = jumpLine(j);
    if (rules.includes(line)) continue;
    const maybe = rules.some((r) => r.endsWith(` -j ${j.to}`));
    if (maybe && (await ipt.run(["-t", j.table, "-C", j.from, ...jumpArgs(j)]))) continue;
    insert.set(j.table, [...(insert.get(j.table) ?? []), line.replace(`-A ${j.from} `, `-I ${j.from} 1 `)]);
  }
  const added = [...insert.values()].reduce((n, l) => n + l.length, 0);
  const tables = opts.canaries ? CANARY_TABLES : [...insert.keys()];
  const text = tables.flatMap((t) => [`*${t}`, ...(opts.canaries ? [`:${CANARY} - [0:0]`] : []), ...(insert.get(t) ?? []), "COMMIT"]);
  if (text.length) await ipt.restore(`${text.join("\n")}\n`);
  return added;
}

/** canariesIntact is false once any canary chain, or the nat PREROUTING jump, has gone. */
export async function canariesIntact(ipt: Iptables): Promise<boolean> {
  for (const t of CANARY_TABLES) if ((await ipt.list(t, CANARY)) === undefined) return false;
  const pre = JUMPS.find((j) => j.from === "PREROUTING") as Jump;
  return ipt.run(["-t", "nat", "-C", "PREROUTING", ...jumpArgs(pre)]);
}
