/**
 * The rules the proxy adds to the built-in chains (kube-proxy's jump list, plus kubelet's
 * KUBE-FIREWALL jumps) and the canary chains that reveal a flush. A full proxy sync carries the
 * missing jumps and the canaries in its own transaction (see netfilter's jumps for how a jump is
 * found present); nothing here asks per jump, because legacy iptables loads the whole table for
 * every call (0.15 s each at 10 000 services).
 */
import {
  insertMissing,
  type IptablesNode,
  type IptablesTransaction,
  type Jump,
  jumpArgs,
  presentJumps,
  type Table,
} from "../../netfilter/index.js";

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
const CANARY_TABLES: readonly Table[] = ["mangle", "nat", "filter"];

/** JumpSteps adds the canaries and the missing jumps to a transaction and returns how many jumps were missing. */
export type JumpSteps = (tx: IptablesTransaction) => number;

/**
 * observeJumps reads which of the jumps to the chains `written` says the proxy writes are missing
 * (`listed` holds built-in chains' rules already read, keyed `table/CHAIN`) and returns the steps
 * that add them — after the canary chains when asked (declaring an empty chain again is harmless).
 */
export async function observeJumps(
  ipt: IptablesNode,
  written: (table: string, chain: string) => boolean,
  opts: { canaries?: boolean; listed?: Map<string, string[]>; jumps?: readonly Jump[] } = {},
): Promise<JumpSteps> {
  const wanted = (opts.jumps ?? JUMPS).filter((j) => written(j.table, j.to));
  const present = await presentJumps(ipt, wanted, opts.listed);
  return (tx) => {
    if (opts.canaries) for (const t of CANARY_TABLES) tx.table(t).declare(CANARY);
    return insertMissing(tx, wanted, present);
  };
}

/** canariesIntact is false once any canary chain, or the nat PREROUTING jump, has gone. */
export async function canariesIntact(ipt: IptablesNode): Promise<boolean> {
  for (const t of CANARY_TABLES) if ((await ipt.list(t, CANARY)) === undefined) return false;
  const pre = JUMPS.find((j) => j.from === "PREROUTING") as Jump;
  return ipt.check("nat", "PREROUTING", jumpArgs(pre));
}
