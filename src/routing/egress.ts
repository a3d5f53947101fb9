/**
 * Egress NAT (Calico's natOutgoing, flannel's ipMasq): pod traffic that leaves the cluster gets
 * the node's address, while traffic to any pod pool keeps its source — so pod-to-pod and
 * pod-to-service (already DNATed to a pod when it reaches POSTROUTING) traffic is never SNATed.
 * The rules live in podnet's own nat chain, rewritten whole when they differ from what the kernel
 * lists; one jump from POSTROUTING leads there.
 */
import {
  chainRules,
  comment,
  insertMissing,
  type IptablesNode,
  type IptablesTransaction,
  type Jump,
  presentJumps,
} from "../netfilter/index.js";
import { familyOfCidr } from "./types.js";

/** EGRESS_CHAIN is podnet's nat chain for pod egress. */
export const EGRESS_CHAIN = "PODNET-POSTROUTING";

/** EGRESS_JUMP sends POSTROUTING into the egress chain. */
export const EGRESS_JUMP: Jump = {
  table: "nat",
  from: "POSTROUTING",
  to: EGRESS_CHAIN,
  args: ["-m", "comment", "--comment", "podnet pod egress"],
};

/** EgressPool is one pod address pool and whether its traffic is SNATed when it leaves the cluster. */
export interface EgressPool {
  cidr: string;
  natOutgoing: boolean;
}

/** MULTICAST is each family's multicast range, never masqueraded. */
export const MULTICAST = { 4: "224.0.0.0/4", 6: "ff00::/8" } as const;

/** egressSpecs are one family's rules of the egress chain, in order. */
export function egressSpecs(pools: EgressPool[], family: 4 | 6): string[] {
  const mine = pools.filter((p) => familyOfCidr(p.cidr) === family);
  return [
    ...mine.map((p) => `-d ${p.cidr} ${comment("podnet: to pods, keep source")} -j RETURN`),
    ...mine
      .filter((x) => x.natOutgoing)
      .map((p) => `-s ${p.cidr} ! -d ${MULTICAST[family]} ${comment(`podnet: natOutgoing ${p.cidr}`)} -j MASQUERADE --random-fully`),
  ];
}

/** egressFamilies are the families the pools hold. */
export function egressFamilies(pools: EgressPool[]): (4 | 6)[] {
  return ([4, 6] as const).filter((f) => pools.some((p) => familyOfCidr(p.cidr) === f));
}

/** EgressObserved is one family's egress chain as listed (undefined: missing) and whether its jump is in place. */
export interface EgressObserved {
  chain: string[] | undefined;
  jump: boolean;
}

/** observeEgress reads one family's egress chain and POSTROUTING jump. */
export async function observeEgress(ipt: IptablesNode): Promise<EgressObserved> {
  const [chain, present] = await Promise.all([ipt.list("nat", EGRESS_CHAIN), presentJumps(ipt, [EGRESS_JUMP])]);
  return { chain, jump: present.has(EGRESS_JUMP) };
}

/** planEgress rewrites the chain when its rules differ and inserts the jump when it is missing. */
export function planEgress(tx: IptablesTransaction, pools: EgressPool[], have: EgressObserved | undefined): void {
  const want = chainRules(EGRESS_CHAIN, egressSpecs(pools, tx.family));
  if (have?.chain?.join("\n") !== want) tx.table("nat").declare(EGRESS_CHAIN).appendRules(want);
  insertMissing(tx, [EGRESS_JUMP], have?.jump ? new Set([EGRESS_JUMP]) : new Set());
}
