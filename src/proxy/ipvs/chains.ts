/**
 * The iptables rules kube-proxy's ipvs mode keeps beside IPVS (its writeIptablesRules): the jumps
 * from the built-in chains, one rule per non-empty set of SET_JUMPS, masquerade marks for
 * ClusterIPs reached from outside the cluster, external IPs accepted only from off the node, the
 * KUBE-IPVS-FILTER that stops VIPs from reaching host ports, and the SNAT in KUBE-POSTROUTING.
 */
import { comment, type IptablesTransaction } from "../../netfilter/index.js";
import type { Family, ProxyConfig } from "../types.js";
import { SET_JUMPS, setComment, setName } from "./sets.js";

/** NoNodeAccess is a LoadBalancer VIP:port whose source ranges leave out the node: the node may not reach it. */
export interface NoNodeAccess {
  ip: string;
  proto: string;
  port: number;
}

/** JUMPS are kube-proxy's iptablesJumpChain rows; each is prepended, so the last of a chain ends up first. */
const JUMPS: [table: "nat" | "filter", from: string, to: string, text: string][] = [
  ["nat", "OUTPUT", "KUBE-SERVICES", "kubernetes service portals"],
  ["nat", "PREROUTING", "KUBE-SERVICES", "kubernetes service portals"],
  ["nat", "POSTROUTING", "KUBE-POSTROUTING", "kubernetes postrouting rules"],
  ["filter", "FORWARD", "KUBE-FORWARD", "kubernetes forwarding rules"],
  ["filter", "INPUT", "KUBE-NODE-PORT", "kubernetes health check rules"],
  ["filter", "INPUT", "KUBE-PROXY-FIREWALL", "kube-proxy firewall rules"],
  ["filter", "FORWARD", "KUBE-PROXY-FIREWALL", "kube-proxy firewall rules"],
  ["filter", "INPUT", "KUBE-IPVS-FILTER", "kubernetes ipvs access filter"],
  ["filter", "OUTPUT", "KUBE-IPVS-OUT-FILTER", "kubernetes ipvs access filter"],
];

/** helperChains writes the rules for one family; `filled` names the sets (short names) that have entries. */
export function helperChains(
  tx: IptablesTransaction,
  cfg: ProxyConfig,
  family: Family,
  filled: Set<string>,
  noNodeAccess: NoNodeAccess[],
): void {
  const s = (short: string) => setName(family, short);
  const matchSet = (short: string, match: string) => `${comment(setComment(short))} -m set --match-set ${s(short)} ${match}`;
  const mark = `0x${(1 << cfg.masqueradeBit).toString(16)}`;
  const nat = tx.table("nat");
  const filter = tx.table("filter");
  nat.declare("KUBE-SERVICES", "KUBE-POSTROUTING", "KUBE-NODE-PORT", "KUBE-LOAD-BALANCER", "KUBE-MARK-MASQ");
  filter.declare(
    "KUBE-FORWARD",
    "KUBE-NODE-PORT",
    "KUBE-PROXY-FIREWALL",
    "KUBE-SOURCE-RANGES-FIREWALL",
    "KUBE-IPVS-FILTER",
    "KUBE-IPVS-OUT-FILTER",
  );
  for (const [table, from, to, text] of JUMPS) tx.table(table).insert(from, `${comment(text)} -j ${to}`);

  nat.append("KUBE-SERVICES", `-s ${family === 6 ? "::1/128" : "127.0.0.0/8"} -j RETURN`);
  for (const j of SET_JUMPS)
    if (filled.has(j.set)) tx.table(j.table).append(j.from, `${j.proto ? `-p ${j.proto} ` : ""}${matchSet(j.set, j.match)} -j ${j.to}`);
  if (filled.has("CLUSTER-IP")) {
    const local = cfg.clusterCIDRs.find((c) => c.includes(":") === (family === 6));
    const how = cfg.masqueradeAll ? "dst,dst" : local ? `dst,dst ! -s ${local}` : "src,dst";
    nat.append("KUBE-SERVICES", `${matchSet("CLUSTER-IP", how)} -j KUBE-MARK-MASQ`);
  }
  const externalOnly = (short: string) => [
    `${matchSet(short, "dst,dst")} -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT`,
    `${matchSet(short, "dst,dst")} -m addrtype --dst-type LOCAL -j ACCEPT`,
  ];
  if (filled.has("EXTERNAL-IP"))
    nat.append("KUBE-SERVICES", `${matchSet("EXTERNAL-IP", "dst,dst")} -j KUBE-MARK-MASQ`, ...externalOnly("EXTERNAL-IP"));
  if (filled.has("EXTERNAL-IP-LOCAL")) nat.append("KUBE-SERVICES", ...externalOnly("EXTERNAL-IP-LOCAL"));
  nat.append("KUBE-SERVICES", "-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT");
  nat.append("KUBE-LOAD-BALANCER", "-j KUBE-MARK-MASQ");
  filter.append("KUBE-SOURCE-RANGES-FIREWALL", "-j DROP");
  for (const e of noNodeAccess)
    filter.append("KUBE-IPVS-OUT-FILTER", `-s ${e.ip} -m ipvs --vaddr ${e.ip} --vproto ${e.proto} --vport ${e.port} -j DROP`);
  for (const short of ["CLUSTER-IP", "LOAD-BALANCER"])
    if (filled.has(short)) nat.append("KUBE-SERVICES", `-m set --match-set ${s(short)} dst,dst -j ACCEPT`);
  filter.append(
    "KUBE-FORWARD",
    `${comment("kubernetes forwarding rules")} -m mark --mark ${mark}/${mark} -j ACCEPT`,
    `${comment("kubernetes forwarding conntrack rule")} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  );
  filter.append("KUBE-NODE-PORT", `${matchSet("HEALTH-CHECK-NODE-PORT", "dst")} -j ACCEPT`);
  filter.append(
    "KUBE-IPVS-FILTER",
    ...["LOAD-BALANCER", "CLUSTER-IP", "EXTERNAL-IP", "EXTERNAL-IP-LOCAL"].map((x) => `-m set --match-set ${s(x)} dst,dst -j RETURN`),
    `-m set --match-set ${s("HEALTH-CHECK-NODE-PORT")} dst -j RETURN`,
    `-m conntrack --ctstate NEW -m set --match-set ${s("IPVS-IPS")} dst -j REJECT`,
  );
  nat.append(
    "KUBE-POSTROUTING",
    `-m mark ! --mark ${mark}/${mark} -j RETURN`,
    `-j MARK --xor-mark ${mark}`,
    `${comment("kubernetes service traffic requiring SNAT")} -j MASQUERADE --random-fully`,
  );
  nat.append("KUBE-MARK-MASQ", `-j MARK --or-mark ${mark}`);
}
