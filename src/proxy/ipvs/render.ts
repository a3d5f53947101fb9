/**
 * `podnet render proxy --mode ipvs`: what kube-proxy's ipvs proxier programs, as the inputs of the
 * real tools — `ip -batch` for the kube-ipvs0 dummy and its addresses, `ipset restore` for the
 * KUBE-… sets, `ipvsadm-restore` for virtual and real servers, and `iptables-restore` for the helper
 * chains that match the sets. Render only: this machine's kernel has no IPVS, so the lab cannot
 * run it; the ipset and iptables parts load in a namespace, and a test checks that they do.
 */
import { NodeTransaction, renderSections, type Section } from "../../dataplane/index.js";
import { cidrContains, parseCIDR } from "../../util/ip.js";
import { categorizeEndpoints } from "../categorize.js";
import type { ServiceTracker } from "../tracker.js";
import type { EndpointInfo, Family, ProxyConfig, ServicePortInfo } from "../types.js";
import { computeUpdates } from "../updates.js";
import { helperChains, type NoNodeAccess } from "./chains.js";
import { setName, setSpecs } from "./sets.js";

/** IpvsOptions are ipvs mode's flags. */
export interface IpvsOptions {
  /** scheduler is --ipvs-scheduler (rr by default). */
  scheduler: string;
}

const DUMMY = "kube-ipvs0";
const hostPort = (ip: string, port: number) => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);
const protoFlag = (p: string) => (p === "TCP" ? "-t" : p === "UDP" ? "-u" : "--sctp-service");

/** IpvsState is a full sync as data: set entries by short name, virtual server lines, and what binds to the dummy. */
interface IpvsState {
  entries: Map<string, Set<string>>;
  ipvsadm: string[];
  bound: Set<string>;
  noNodeAccess: NoNodeAccess[];
}

function put(st: IpvsState, short: string, entry: string): void {
  let set = st.entries.get(short);
  if (!set) st.entries.set(short, (set = new Set()));
  set.add(entry);
}

/** realServers is syncEndpoint's choice: local endpoints under a Local policy (all of them if none is local), else the cluster's. */
function realServers(cat: ReturnType<typeof categorizeEndpoints>, local: boolean): EndpointInfo[] {
  return local && cat.local.length > 0 ? cat.local : cat.cluster;
}

/** virtualServer writes one IPVS service and its real servers. */
function virtualServer(st: IpvsState, sp: ServicePortInfo, addr: string, port: number, reals: EndpointInfo[], opts: IpvsOptions): void {
  const p = protoFlag(sp.protocol);
  const vs = hostPort(addr, port);
  const persistent = sp.affinityClientIP ? ` -p ${sp.stickyMaxAgeSeconds}` : "";
  const flags = opts.scheduler === "mh" ? " -b mh-port" : "";
  st.ipvsadm.push(`-A ${p} ${vs} -s ${opts.scheduler}${flags}${persistent}`);
  for (const ep of [...reals].sort((a, b) => a.hostPort.localeCompare(b.hostPort)))
    st.ipvsadm.push(`-a ${p} ${vs} -r ${ep.hostPort} -m -w 1`);
}

/** servicePort fills the sets and virtual servers of one service port, as kube-proxy's syncProxyRules loop does. */
function servicePort(st: IpvsState, sp: ServicePortInfo, eps: EndpointInfo[], cfg: ProxyConfig, family: Family, opts: IpvsOptions): void {
  const proto = sp.protocol.toLowerCase();
  const entry = (ip: string, port: number) => `${ip},${proto}:${port}`;
  const cat = categorizeEndpoints(eps, sp, cfg.nodeLabels);
  const external = realServers(cat, sp.externalPolicyLocal);
  const nodeIPs = cfg.nodeIPs.filter((x) => x.includes(":") === (family === 6));
  for (const ep of eps) if (ep.local) put(st, "LOOP-BACK", `${ep.ip},${proto}:${ep.port},${ep.ip}`);
  put(st, "CLUSTER-IP", entry(sp.clusterIP, sp.port));
  virtualServer(st, sp, sp.clusterIP, sp.port, realServers(cat, sp.internalPolicyLocal), opts);
  st.bound.add(sp.clusterIP);
  for (const ip of sp.externalIPs) {
    put(st, sp.externalPolicyLocal ? "EXTERNAL-IP-LOCAL" : "EXTERNAL-IP", entry(ip, sp.port));
    virtualServer(st, sp, ip, sp.port, external, opts);
    if (!cfg.nodeIPs.includes(ip)) st.bound.add(ip);
  }
  for (const ip of sp.loadBalancerVIPs) {
    put(st, "LOAD-BALANCER", entry(ip, sp.port));
    if (sp.externalPolicyLocal) put(st, "LOAD-BALANCER-LOCAL", entry(ip, sp.port));
    if (sp.loadBalancerSourceRanges.length) {
      put(st, "LOAD-BALANCER-FW", entry(ip, sp.port));
      for (const c of sp.loadBalancerSourceRanges) put(st, "LOAD-BALANCER-SOURCE-CIDR", `${entry(ip, sp.port)},${c}`);
      const fromNode = sp.loadBalancerSourceRanges.some((c) => {
        const cidr = parseCIDR(c);
        return cidr !== undefined && nodeIPs.some((n) => cidrContains(cidr, n));
      });
      if (fromNode) put(st, "LOAD-BALANCER-SOURCE-IP", `${entry(ip, sp.port)},${ip}`);
      else st.noNodeAccess.push({ ip, proto, port: sp.port });
    }
    virtualServer(st, sp, ip, sp.port, external, opts);
    if (!cfg.nodeIPs.includes(ip)) st.bound.add(ip);
  }
  if (sp.nodePort) {
    const sctp = sp.protocol === "SCTP";
    const short = sctp ? "NODE-PORT-SCTP-HASH" : `NODE-PORT-${sp.protocol}`;
    const local = sctp ? "NODE-PORT-LOCAL-SCTP-HASH" : `NODE-PORT-LOCAL-${sp.protocol}`;
    const ports = sctp ? nodeIPs.map((n) => entry(n, sp.nodePort)) : [String(sp.nodePort)];
    for (const e of ports) {
      put(st, short, e);
      if (sp.externalPolicyLocal) put(st, local, e);
    }
    for (const n of nodeIPs) virtualServer(st, sp, n, sp.nodePort, external, opts);
  }
  if (sp.healthCheckNodePort) put(st, "HEALTH-CHECK-NODE-PORT", String(sp.healthCheckNodePort));
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
  const keys = [...tracker.services.keys()].sort();
  const { updates } = computeUpdates(tracker, keys, family, cfg.nodeName, new Map(), errors, (sp, eps) => ({ sp, eps }));
  const st: IpvsState = { entries: new Map(), ipvsadm: [], bound: new Set(), noNodeAccess: [] };
  for (const r of updates.values()) if (r) servicePort(st, r.sp, r.eps, cfg, family, opts);
  for (const ip of st.bound) put(st, "IPVS-IPS", ip);

  const node = new NodeTransaction();
  node.ip.addLink({ name: DUMMY, kind: "dummy" });
  for (const s of setSpecs(family)) node.ipsets.create(s);
  for (const [short, entries] of st.entries) for (const e of [...entries].sort()) node.ipsets.add(setName(family, short), e);
  for (const ip of [...st.bound].sort()) node.ip.addAddress({ dev: DUMMY, cidr: `${ip}/${family === 6 ? 128 : 32}` });
  helperChains(node.iptables[family], cfg, family, new Set(st.entries.keys()), st.noNodeAccess);
  const ipvsadm = st.ipvsadm.map((l) => `${l}\n`).join("");
  const sections = node.render();
  sections.splice(sections.findIndex((s) => s.title.startsWith("ipset")) + 1, 0, { title: "ipvsadm-restore", text: ipvsadm });
  return { sections, ipvsadm, errors };
}

/** renderIpvsText prints the sections as `# tool` blocks. */
export function renderIpvsText(r: IpvsRender): string {
  return renderSections(r.sections);
}
