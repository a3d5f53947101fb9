/**
 * `podnet render proxy --mode ipvs`: what kube-proxy's ipvs proxier programs, as the inputs of the
 * real tools — `ip -batch` for the kube-ipvs0 dummy and its addresses, `ipset restore` for the
 * KUBE-… sets, `ipvsadm-restore` for virtual and real servers, and `iptables-restore` for the helper
 * chains that match the sets. Render only: this machine's kernel has no IPVS, so the lab cannot
 * run it; the ipset and iptables parts load in a namespace, and a test checks that they do.
 */
import { renderSections, NodeTransaction, type Section } from "../../dataplane/index.js";
import { comment, IptablesTransaction, IpsetTransaction } from "../../netfilter/index.js";
import { categorizeEndpoints } from "../categorize.js";
import type { ServiceTracker } from "../tracker.js";
import { type EndpointInfo, type Family, type ProxyConfig, type ServicePortInfo } from "../types.js";
import { computeUpdates } from "../updates.js";
import { setName, setSpecs } from "./sets.js";

/** IpvsOptions are ipvs mode's flags. */
export interface IpvsOptions {
  /** scheduler is --ipvs-scheduler (rr by default). */
  scheduler: string;
}

const DUMMY = "kube-ipvs0";
const hostPort = (ip: string, port: number) => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);
const protoFlag = (p: string) => (p === "TCP" ? "-t" : p === "UDP" ? "-u" : "--sctp-service");

/** VirtualServer is one IPVS service and its real servers. */
interface VirtualServer {
  addr: string;
  proto: string;
  persistent: number;
  reals: EndpointInfo[];
}

function virtualServers(sp: ServicePortInfo, eps: EndpointInfo[], cfg: ProxyConfig): VirtualServer[] {
  const cat = categorizeEndpoints(eps, sp, cfg.nodeLabels);
  const internal = sp.internalPolicyLocal ? cat.local : cat.cluster;
  const external = sp.externalPolicyLocal ? cat.local : cat.cluster;
  const vs = (ip: string, port: number, reals: EndpointInfo[]): VirtualServer => ({
    addr: hostPort(ip, port),
    proto: sp.protocol,
    persistent: sp.affinityClientIP ? sp.stickyMaxAgeSeconds : 0,
    reals,
  });
  const out = [vs(sp.clusterIP, sp.port, internal)];
  for (const ip of [...sp.externalIPs, ...sp.loadBalancerVIPs]) out.push(vs(ip, sp.port, external));
  if (sp.nodePort)
    for (const ip of cfg.nodeIPs.filter((x) => x.includes(":") === (sp.family === 6))) out.push(vs(ip, sp.nodePort, external));
  return out;
}

function fillSets(tx: IpsetTransaction, sp: ServicePortInfo, eps: EndpointInfo[], family: Family): void {
  const set = (short: string) => setName(family, short);
  const proto = sp.protocol.toLowerCase();
  const entry = (ip: string, port: number) => `${ip},${proto}:${port}`;
  tx.add(set("CLUSTER-IP"), entry(sp.clusterIP, sp.port));
  for (const ep of eps) tx.add(set("LOOP-BACK"), `${ep.ip},${proto}:${ep.port},${ep.ip}`);
  for (const ip of [sp.clusterIP, ...sp.externalIPs, ...sp.loadBalancerVIPs]) tx.add(set("IPVS-IPS"), ip);
  for (const ip of sp.externalIPs) {
    tx.add(set("EXTERNAL-IP"), entry(ip, sp.port));
    if (sp.externalPolicyLocal) tx.add(set("EXTERNAL-IP-LOCAL"), entry(ip, sp.port));
  }
  for (const ip of sp.loadBalancerVIPs) {
    tx.add(set("LOAD-BALANCER"), entry(ip, sp.port));
    if (sp.externalPolicyLocal) tx.add(set("LOAD-BALANCER-LOCAL"), entry(ip, sp.port));
    if (sp.loadBalancerSourceRanges.length) {
      tx.add(set("LOAD-BALANCER-FW"), entry(ip, sp.port));
      for (const c of sp.loadBalancerSourceRanges) tx.add(set("LOAD-BALANCER-SOURCE-CIDR"), `${entry(ip, sp.port)},${c}`);
    }
  }
  if (sp.nodePort) {
    if (sp.protocol === "SCTP") {
      tx.add(set("NODE-PORT-SCTP-HASH"), entry(family === 6 ? "::" : "0.0.0.0", sp.nodePort));
      if (sp.externalPolicyLocal) tx.add(set("NODE-PORT-LOCAL-SCTP-HASH"), entry(family === 6 ? "::" : "0.0.0.0", sp.nodePort));
    } else {
      tx.add(set(`NODE-PORT-${sp.protocol}`), String(sp.nodePort));
      if (sp.externalPolicyLocal) tx.add(set(`NODE-PORT-LOCAL-${sp.protocol}`), String(sp.nodePort));
    }
  }
  if (sp.healthCheckNodePort) tx.add(set("HEALTH-CHECK-NODE-PORT"), String(sp.healthCheckNodePort));
}

/** helperChains are the iptables rules ipvs mode adds around the sets (kube-proxy's KUBE-SERVICES, KUBE-POSTROUTING, …). */
function helperChains(tx: IptablesTransaction, cfg: ProxyConfig, family: Family): void {
  const s = (short: string) => setName(family, short);
  const mark = `0x${(1 << cfg.masqueradeBit).toString(16)}`;
  const local = cfg.clusterCIDRs.find((c) => c.includes(":") === (family === 6));
  const nat = tx.table("nat");
  nat.declare("KUBE-SERVICES", "KUBE-POSTROUTING", "KUBE-NODE-PORT", "KUBE-LOAD-BALANCER", "KUBE-MARK-MASQ");
  nat.append("PREROUTING", `${comment("kubernetes service portals")} -j KUBE-SERVICES`);
  nat.append("OUTPUT", `${comment("kubernetes service portals")} -j KUBE-SERVICES`);
  nat.append("POSTROUTING", `${comment("kubernetes postrouting rules")} -j KUBE-POSTROUTING`);
  nat.append(
    "KUBE-POSTROUTING",
    `${comment("Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose")} -m set --match-set ${s("LOOP-BACK")} dst,dst,src -j MASQUERADE`,
    `-m mark ! --mark ${mark}/${mark} -j RETURN`,
    `-j MARK --xor-mark ${mark}`,
    `${comment("kubernetes service traffic requiring SNAT")} -j MASQUERADE --random-fully`,
  );
  nat.append("KUBE-MARK-MASQ", `-j MARK --or-mark ${mark}`);
  nat.append(
    "KUBE-SERVICES",
    `${local ? `! -s ${local} ` : ""}${comment("Kubernetes service cluster ip + port for masquerade purpose")} -m set --match-set ${s("CLUSTER-IP")} dst,dst -j KUBE-MARK-MASQ`,
    `${comment("Kubernetes service external ip + port for masquerade and filter purpose")} -m set --match-set ${s("EXTERNAL-IP")} dst,dst -j KUBE-MARK-MASQ`,
    `${comment("Kubernetes service load balancer ip + port for load balancer with sourceRange")} -m set --match-set ${s("LOAD-BALANCER")} dst,dst -j KUBE-LOAD-BALANCER`,
    `-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT`,
    `-m set --match-set ${s("CLUSTER-IP")} dst,dst -j ACCEPT`,
    `-m set --match-set ${s("LOAD-BALANCER")} dst,dst -j ACCEPT`,
  );
  nat.append("KUBE-LOAD-BALANCER", `-m set --match-set ${s("LOAD-BALANCER-LOCAL")} dst,dst -j RETURN`, `-j KUBE-MARK-MASQ`);
  nat.append(
    "KUBE-NODE-PORT",
    `-p tcp -m set --match-set ${s("NODE-PORT-LOCAL-TCP")} dst -j RETURN`,
    `-p tcp ${comment("Kubernetes nodeport TCP port for masquerade purpose")} -m set --match-set ${s("NODE-PORT-TCP")} dst -j KUBE-MARK-MASQ`,
    `-p udp -m set --match-set ${s("NODE-PORT-LOCAL-UDP")} dst -j RETURN`,
    `-p udp ${comment("Kubernetes nodeport UDP port for masquerade purpose")} -m set --match-set ${s("NODE-PORT-UDP")} dst -j KUBE-MARK-MASQ`,
  );
  const filter = tx.table("filter");
  filter.declare("KUBE-FORWARD", "KUBE-NODE-PORT", "KUBE-PROXY-FIREWALL", "KUBE-SOURCE-RANGES-FIREWALL", "KUBE-IPVS-FILTER");
  filter.append("INPUT", "-j KUBE-PROXY-FIREWALL", "-j KUBE-NODE-PORT", "-j KUBE-IPVS-FILTER");
  filter.append("FORWARD", `${comment("kubernetes forwarding rules")} -j KUBE-FORWARD`);
  filter.append(
    "KUBE-FORWARD",
    "-m conntrack --ctstate INVALID -j DROP",
    `${comment("kubernetes forwarding rules")} -m mark --mark ${mark}/${mark} -j ACCEPT`,
    `${comment("kubernetes forwarding conntrack rule")} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  );
  filter.append(
    "KUBE-NODE-PORT",
    `${comment("Kubernetes health check node port")} -m set --match-set ${s("HEALTH-CHECK-NODE-PORT")} dst -j ACCEPT`,
  );
  filter.append("KUBE-PROXY-FIREWALL", `-m set --match-set ${s("LOAD-BALANCER-FW")} dst,dst -j KUBE-SOURCE-RANGES-FIREWALL`);
  filter.append(
    "KUBE-SOURCE-RANGES-FIREWALL",
    `-m set --match-set ${s("LOAD-BALANCER-SOURCE-CIDR")} dst,dst,src -j RETURN`,
    `-m set --match-set ${s("LOAD-BALANCER-SOURCE-IP")} dst,dst,src -j RETURN`,
    "-j DROP",
  );
  filter.append(
    "KUBE-IPVS-FILTER",
    `-m set --match-set ${s("LOAD-BALANCER")} dst,dst -j RETURN`,
    `-m set --match-set ${s("CLUSTER-IP")} dst,dst -j RETURN`,
    `-m set --match-set ${s("EXTERNAL-IP")} dst,dst -j RETURN`,
    `-m set --match-set ${s("HEALTH-CHECK-NODE-PORT")} dst -j RETURN`,
    `-m conntrack --ctstate NEW -m set --match-set ${s("IPVS-IPS")} dst -j REJECT`,
  );
}

/** IpvsRender is ipvs mode's full sync for one family: the sections, and the services that could not render. */
export interface IpvsRender {
  sections: Section[];
  ipvsadm: string;
  errors: string[];
}

/** renderIpvs renders ipvs mode for one family. */
export function renderIpvs(tracker: ServiceTracker, cfg: ProxyConfig, family: Family, opts: IpvsOptions): IpvsRender {
  const errors: string[] = [];
  const { updates } = computeUpdates(tracker, [...tracker.services.keys()].sort(), family, cfg.nodeName, new Map(), errors, (sp, eps) => ({
    sp,
    eps,
  }));
  const node = new NodeTransaction();
  node.ip.addLink({ name: DUMMY, kind: "dummy" });
  for (const s of setSpecs(family)) node.ipsets.create(s);
  const vips = new Set<string>();
  const lines: string[] = [];
  for (const r of updates.values()) {
    if (!r) continue;
    const { sp, eps } = r;
    for (const ip of [sp.clusterIP, ...sp.externalIPs, ...sp.loadBalancerVIPs]) vips.add(ip);
    fillSets(node.ipsets, sp, eps, family);
    for (const v of virtualServers(sp, eps, cfg)) {
      const p = protoFlag(v.proto);
      lines.push(`-A ${p} ${v.addr} -s ${opts.scheduler}${v.persistent ? ` -p ${v.persistent}` : ""}`);
      for (const ep of v.reals) lines.push(`-a ${p} ${v.addr} -r ${ep.hostPort} -m -w 1`);
    }
  }
  for (const ip of [...vips].sort()) node.ip.addAddress({ dev: DUMMY, cidr: `${ip}/${family === 6 ? 128 : 32}` });
  helperChains(node.iptables[family], cfg, family);
  const ipvsadm = lines.map((l) => `${l}\n`).join("");
  const sections = node.render();
  sections.splice(sections.findIndex((s) => s.title.startsWith("ipset")) + 1, 0, { title: "ipvsadm-restore", text: ipvsadm });
  return { sections, ipvsadm, errors };
}

/** renderIpvsText prints the sections as `# tool` blocks. */
export function renderIpvsText(r: IpvsRender): string {
  return renderSections(r.sections);
}
