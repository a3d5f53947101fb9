/**
 * kube-proxy's ipvs-mode ipsets: their names (IPv6 ones with "6-" after KUBE-), types and the
 * comments kube-proxy gives them, and how one service port fills them.
 */
import type { SetSpec, SetType } from "../../netfilter/index.js";
import type { Family } from "../types.js";

/** IPVS_SETS are the sets and their types, in kube-proxy's order. */
export const IPVS_SETS: [string, SetType][] = [
  ["LOOP-BACK", "hash:ip,port,ip"],
  ["CLUSTER-IP", "hash:ip,port"],
  ["EXTERNAL-IP", "hash:ip,port"],
  ["EXTERNAL-IP-LOCAL", "hash:ip,port"],
  ["LOAD-BALANCER", "hash:ip,port"],
  ["LOAD-BALANCER-LOCAL", "hash:ip,port"],
  ["LOAD-BALANCER-FW", "hash:ip,port"],
  ["LOAD-BALANCER-SOURCE-IP", "hash:ip,port,ip"],
  ["LOAD-BALANCER-SOURCE-CIDR", "hash:ip,port,net"],
  ["NODE-PORT-TCP", "bitmap:port"],
  ["NODE-PORT-LOCAL-TCP", "bitmap:port"],
  ["NODE-PORT-UDP", "bitmap:port"],
  ["NODE-PORT-LOCAL-UDP", "bitmap:port"],
  ["NODE-PORT-SCTP-HASH", "hash:ip,port"],
  ["NODE-PORT-LOCAL-SCTP-HASH", "hash:ip,port"],
  ["HEALTH-CHECK-NODE-PORT", "bitmap:port"],
  ["IPVS-IPS", "hash:ip"],
];

/** setName is a set's full name in a family: KUBE-CLUSTER-IP, KUBE-6-CLUSTER-IP. */
export function setName(family: Family, short: string): string {
  return `KUBE-${family === 6 ? "6-" : ""}${short}`;
}

/** setSpecs are the family's sets as ipset creates them. */
export function setSpecs(family: Family): SetSpec[] {
  return IPVS_SETS.map(([short, type]) => ({ name: setName(family, short), type, family }));
}
