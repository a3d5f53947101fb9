/**
 * The rules podnet adds to the built-in chains (kube-proxy's jump list, plus kubelet's KUBE-FIREWALL
 * jumps) and the canary chains that reveal a flush. They live in chains podnet does not own, so
 * they are checked with `-C` and inserted one by one rather than restored.
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

/** ensureJumps makes sure each jump exists (prepending missing ones), skipping jumps to chains podnet did not write. */
export async function ensureJumps(
  ipt: Iptables,
  written: (table: string, chain: string) => boolean,
  jumps: readonly Jump[] = JUMPS,
): Promise<number> {
  let added = 0;
  for (const j of jumps) {
    if (!written(j.table, j.to)) continue;
    const args = jumpArgs(j);
    if (await ipt.run(["-t", j.table, "-C", j.from, ...args])) continue;
    if (!(await ipt.run(["-t", j.table, "-I", j.from, "1", ...args])))
      throw new Error(`cannot insert jump ${j.from} -> ${j.to} in table ${j.table}`);
    added++;
  }
  return added;
}

/** ensureCanaries creates the canary chains (an existing one is fine). */
export async function ensureCanaries(ipt: Iptables): Promise<void> {
  for (const t of CANARY_TABLES) await ipt.run(["-t", t, "-N", CANARY]);
}

/** canariesIntact is false once any canary chain, or the nat PREROUTING jump, has gone. */
export async function canariesIntact(ipt: Iptables): Promise<boolean> {
  for (const t of CANARY_TABLES) if ((await ipt.list(t, CANARY)) === undefined) return false;
  const pre = JUMPS.find((j) => j.from === "PREROUTING") as Jump;
  return ipt.run(["-t", "nat", "-C", "PREROUTING", ...jumpArgs(pre)]);
}
