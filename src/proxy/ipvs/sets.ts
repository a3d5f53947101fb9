/**
 * kube-proxy's ipvs-mode ipsets: their names (IPv6 ones with "6-" after KUBE-), types and the
 * comments kube-proxy gives them, and the table of sets that each get one iptables rule jumping
 * from a chain when they are not empty (kube-proxy's ipsetWithIptablesChain, in its order: the
 * Local sets come before their cluster-wide twins).
 */
import type { SetSpec, SetType } from "../../netfilter/index.js";
import type { Family } from "../types.js";

/** IpvsSet is one of kube-proxy's sets: its short name (after KUBE-), type and comment. */
export interface IpvsSet {
  short: string;
  type: SetType;
  comment: string;
}

/** IPVS_SETS are the sets, in kube-proxy's order. */
export const IPVS_SETS: IpvsSet[] = [
  { short: "LOOP-BACK", type: "hash:ip,port,ip", comment: "Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose" },
  { short: "CLUSTER-IP", type: "hash:ip,port", comment: "Kubernetes service cluster ip + port for masquerade purpose" },
  { short: "EXTERNAL-IP", type: "hash:ip,port", comment: "Kubernetes service external ip + port for masquerade and filter purpose" },
  { short: "EXTERNAL-IP-LOCAL", type: "hash:ip,port", comment: "Kubernetes service external ip + port with externalTrafficPolicy=local" },
  { short: "LOAD-BALANCER", type: "hash:ip,port", comment: "Kubernetes service lb portal" },
  {
    short: "LOAD-BALANCER-FW",
    type: "hash:ip,port",
    comment: "Kubernetes service load balancer ip + port for load balancer with sourceRange",
  },
  {
    short: "LOAD-BALANCER-LOCAL",
    type: "hash:ip,port",
    comment: "Kubernetes service load balancer ip + port with externalTrafficPolicy=local",
  },
  {
    short: "LOAD-BALANCER-SOURCE-IP",
    type: "hash:ip,port,ip",
    comment: "Kubernetes service load balancer ip + port + source IP for packet filter purpose",
  },
  {
    short: "LOAD-BALANCER-SOURCE-CIDR",
    type: "hash:ip,port,net",
    comment: "Kubernetes service load balancer ip + port + source cidr for packet filter purpose",
  },
  { short: "NODE-PORT-TCP", type: "bitmap:port", comment: "Kubernetes nodeport TCP port for masquerade purpose" },
  { short: "NODE-PORT-LOCAL-TCP", type: "bitmap:port", comment: "Kubernetes nodeport TCP port with externalTrafficPolicy=local" },
  { short: "NODE-PORT-UDP", type: "bitmap:port", comment: "Kubernetes nodeport UDP port for masquerade purpose" },
  { short: "NODE-PORT-LOCAL-UDP", type: "bitmap:port", comment: "Kubernetes nodeport UDP port with externalTrafficPolicy=local" },
  {
    short: "NODE-PORT-SCTP-HASH",
    type: "hash:ip,port",
    comment: "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'",
  },
  {
    short: "NODE-PORT-LOCAL-SCTP-HASH",
    type: "hash:ip,port",
    comment: "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'",
  },
  { short: "HEALTH-CHECK-NODE-PORT", type: "bitmap:port", comment: "Kubernetes health check node port" },
  { short: "IPVS-IPS", type: "hash:ip", comment: "Addresses on the ipvs interface" },
];

/** SetJump is one row of kube-proxy's ipsetWithIptablesChain: `-A from [-p proto] … --match-set SET match -j to`. */
export interface SetJump {
  set: string;
  table: "nat" | "filter";
  from: string;
  to: string;
  match: string;
  proto?: string;
}

/** SET_JUMPS are the sets matched by one rule each, in kube-proxy's order. */
export const SET_JUMPS: SetJump[] = [
  { set: "LOOP-BACK", table: "nat", from: "KUBE-POSTROUTING", to: "MASQUERADE", match: "dst,dst,src" },
  { set: "LOAD-BALANCER", table: "nat", from: "KUBE-SERVICES", to: "KUBE-LOAD-BALANCER", match: "dst,dst" },
  { set: "LOAD-BALANCER-LOCAL", table: "nat", from: "KUBE-LOAD-BALANCER", to: "RETURN", match: "dst,dst" },
  { set: "NODE-PORT-LOCAL-TCP", table: "nat", from: "KUBE-NODE-PORT", to: "RETURN", match: "dst", proto: "tcp" },
  { set: "NODE-PORT-TCP", table: "nat", from: "KUBE-NODE-PORT", to: "KUBE-MARK-MASQ", match: "dst", proto: "tcp" },
  { set: "NODE-PORT-LOCAL-UDP", table: "nat", from: "KUBE-NODE-PORT", to: "RETURN", match: "dst", proto: "udp" },
  { set: "NODE-PORT-UDP", table: "nat", from: "KUBE-NODE-PORT", to: "KUBE-MARK-MASQ", match: "dst", proto: "udp" },
  { set: "NODE-PORT-LOCAL-SCTP-HASH", table: "nat", from: "KUBE-NODE-PORT", to: "RETURN", match: "dst,dst", proto: "sctp" },
  { set: "NODE-PORT-SCTP-HASH", table: "nat", from: "KUBE-NODE-PORT", to: "KUBE-MARK-MASQ", match: "dst,dst", proto: "sctp" },
  { set: "LOAD-BALANCER-FW", table: "filter", from: "KUBE-PROXY-FIREWALL", to: "KUBE-SOURCE-RANGES-FIREWALL", match: "dst,dst" },
  { set: "LOAD-BALANCER-SOURCE-CIDR", table: "filter", from: "KUBE-SOURCE-RANGES-FIREWALL", to: "RETURN", match: "dst,dst,src" },
  { set: "LOAD-BALANCER-SOURCE-IP", table: "filter", from: "KUBE-SOURCE-RANGES-FIREWALL", to: "RETURN", match: "dst,dst,src" },
];

/**
 * setName is a set's full name in a family: KUBE-CLUSTER-IP, KUBE-6-CLUSTER-IP. ipset names hold
 * 31 characters, so kube-proxy cuts the IPv6 ones there (KUBE-6-LOAD-BALANCER-SOURCE-CID).
 */
export function setName(family: Family, short: string): string {
  return family === 6 ? `KUBE-6-${short}`.slice(0, 31) : `KUBE-${short}`;
}

/** setComment is the comment kube-proxy puts on the rules that match a set. */
export function setComment(short: string): string {
  return IPVS_SETS.find((s) => s.short === short)?.comment ?? short;
}

/** setSpecs are the family's sets as ipset creates them. */
export function setSpecs(family: Family): SetSpec[] {
  return IPVS_SETS.map((s) => ({ name: setName(family, s.short), type: s.type, family }));
}
