/**
 * Egress NAT (Calico's natOutgoing, flannel's ipMasq): pod traffic that leaves the cluster gets
 * the node's address, while traffic to any pod pool keeps its source — so pod-to-pod and
 * pod-to-service (already DNATed to a pod when it reaches POSTROUTING) traffic is never SNATed.
 * The rules live in podnet's own nat chain, rewritten whole with `iptables-restore --noflush`;
 * one jump from POSTROUTING leads there.
 */
import { familyOfCidr } from "./types.js";

/** EGRESS_CHAIN is podnet's nat chain for pod egress. */
export const EGRESS_CHAIN = "PODNET-POSTROUTING";

/** EgressPool is one pod address pool and whether its traffic is SNATed when it leaves the cluster. */
export interface EgressPool {
  cidr: string;
  natOutgoing: boolean;
}

const MULTICAST = { 4: "224.0.0.0/4", 6: "ff00::/8" } as const;

/** egressRules renders the restore input for one family's egress chain. */
export function egressRules(pools: EgressPool[], family: 4 | 6): string {
  const mine = pools.filter((p) => familyOfCidr(p.cidr) === family);
  const lines = ["*nat", `:${EGRESS_CHAIN} - [0:0]`];
  for (const p of mine)
    lines.push(`-A ${EGRESS_CHAIN} -d ${p.cidr} -m comment --comment "podnet: to pods, keep source" -j RETURN`);
  for (const p of mine.filter((x) => x.natOutgoing))
    lines.push(
      `-A ${EGRESS_CHAIN} -s ${p.cidr} ! -d ${MULTICAST[family]} -m comment --comment "podnet: natOutgoing ${p.cidr}" -j MASQUERADE --random-fully`,
    );
  lines.push("COMMIT", "");
  return lines.join("\n");
}
