/**
 * Render one service port into kube-proxy's iptables layout: its lines in the shared top-level
 * chains (nat KUBE-SERVICES / KUBE-NODEPORTS; filter KUBE-SERVICES, KUBE-EXTERNAL-SERVICES,
 * KUBE-NODEPORTS, KUBE-PROXY-FIREWALL) and its own nat chains (SVC, SVL, EXT, FW, SEP). Pure: the
 * same input always gives the same text, which is what makes partial syncs a plain text diff.
 */
import { chainRules, comment, ruleLine, type RuleText } from "../../netfilter/index.js";
import { flat } from "../../util/flat.js";
import { type Categorized, categorizeEndpoints } from "../categorize.js";
import { cidrContains, parseCIDR } from "../../util/ip.js";
import {
  type EndpointInfo,
  type Family,
  externallyAccessible,
  type ProxyConfig,
  type ServicePortInfo,
  usesClusterEndpoints,
  usesLocalEndpoints,
} from "../types.js";
import { endpointChain, serviceChains } from "./names.js";

/** RenderContext is what every port's render shares in one sync. */
export interface RenderContext {
  cfg: ProxyConfig;
  family: Family;
  /** masqMark is the mark KUBE-MARK-MASQ sets, e.g. 0x4000. */
  masqMark: string;
  /** largeCluster drops per-endpoint comments, as kube-proxy does above 1000 endpoints. */
  largeCluster: boolean;
  /** localCIDR is the ClusterCIDR local-traffic detector's CIDR for this family, if any. */
  localCIDR: string | undefined;
}

/** NFACCT_INVALID and NFACCT_LOCALHOST are kube-proxy's nfacct objects: INVALID packets dropped, localhost NodePort packets accepted. */
export const NFACCT_INVALID = "ct_state_invalid_dropped_pkts";
/** NFACCT_LOCALHOST is the localhost NodePort counter (see NFACCT_INVALID). */
export const NFACCT_LOCALHOST = "localhost_nps_accepted_pkts";

/** TopChain names a shared top-level chain. */
export type TopChain =
  | "nat/KUBE-SERVICES"
  | "nat/KUBE-NODEPORTS"
  | "filter/KUBE-SERVICES"
  | "filter/KUBE-EXTERNAL-SERVICES"
  | "filter/KUBE-NODEPORTS"
  | "filter/KUBE-PROXY-FIREWALL";

/** PortRules is one service port's share of the ruleset. */
export interface PortRules {
  /** top holds the port's lines in each shared chain (only chains it has lines in). */
  top: Partial<Record<TopChain, string[]>>;
  /** chains are the port's own nat chains with their rules, in kube-proxy's order. */
  chains: [string, RuleText][];
  /** endpoints counts the port's endpoints (for large-cluster mode). */
  endpoints: number;
  /** sp is the service port the rules were built for. */
  sp: ServicePortInfo;
  /** cat is the categorisation the rules were built from (used by conntrack and health checks). */
  cat: Categorized;
}

/** TOP_CHAIN_NAMES are the shared chains' names without their table. */
const TOP_CHAIN_NAMES: Record<TopChain, string> = {
  "nat/KUBE-SERVICES": "KUBE-SERVICES",
  "nat/KUBE-NODEPORTS": "KUBE-NODEPORTS",
  "filter/KUBE-SERVICES": "KUBE-SERVICES",
  "filter/KUBE-EXTERNAL-SERVICES": "KUBE-EXTERNAL-SERVICES",
  "filter/KUBE-NODEPORTS": "KUBE-NODEPORTS",
  "filter/KUBE-PROXY-FIREWALL": "KUBE-PROXY-FIREWALL",
};

function push(r: PortRules, chain: TopChain, spec: string): void {
  const line = flat(ruleLine(TOP_CHAIN_NAMES[chain], spec));
  const lines = r.top[chain];
  if (lines) lines.push(line);
  else r.top[chain] = [line];
}

function match(sp: ServicePortInfo, dst: string, port: number): string {
  const p = sp.protocol.toLowerCase();
  return `-m ${p} -p ${p} -d ${dst} --dport ${port}`;
}

/** renderPort renders one service port with its endpoints. */
export function renderPort(sp: ServicePortInfo, eps: EndpointInfo[], ctx: RenderContext): PortRules {
  const cat = categorizeEndpoints(eps, sp, ctx.cfg.nodeLabels);
  const r: PortRules = { top: {}, chains: [], endpoints: eps.length, cat, sp };
  const name = sp.nameString;
  const proto = sp.protocol.toLowerCase();
  const ch = serviceChains(name, sp.protocol);
  const hasEndpoints = cat.hasAny;
  const internalChain = sp.internalPolicyLocal ? ch.svl : ch.svc;
  const hasInternal = hasEndpoints && (!sp.internalPolicyLocal || cat.local.length > 0);
  const externalPolicyChain = sp.externalPolicyLocal ? ch.svl : ch.svc;
  const hasExternal = hasEndpoints && (!sp.externalPolicyLocal || cat.local.length > 0);
  const usesExt = hasEndpoints && externallyAccessible(sp);
  const usesFW = hasEndpoints && sp.loadBalancerVIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0;
  const lbChain = usesFW ? ch.fw : ch.ext;
  // Without endpoints at all: REJECT; with endpoints but none usable locally: DROP (kube-proxy's choice).
  const noEpTarget = hasEndpoints ? "DROP" : "REJECT";
  const noEpComment = comment(`${name} ${hasEndpoints ? "has no local endpoints" : "has no endpoints"}`);

  if (hasInternal) push(r, "nat/KUBE-SERVICES", `${comment(`${name} cluster IP`)} ${match(sp, sp.clusterIP, sp.port)} -j ${internalChain}`);
  else push(r, "filter/KUBE-SERVICES", `${noEpComment} ${match(sp, sp.clusterIP, sp.port)} -j ${noEpTarget}`);

  for (const ip of sp.externalIPs) {
    if (hasEndpoints) push(r, "nat/KUBE-SERVICES", `${comment(`${name} external IP`)} ${match(sp, ip, sp.port)} -j ${ch.ext}`);
    if (!hasExternal) push(r, "filter/KUBE-EXTERNAL-SERVICES", `${noEpComment} ${match(sp, ip, sp.port)} -j ${noEpTarget}`);
  }
  for (const ip of sp.loadBalancerVIPs) {
    if (hasEndpoints) push(r, "nat/KUBE-SERVICES", `${comment(`${name} loadbalancer IP`)} ${match(sp, ip, sp.port)} -j ${lbChain}`);
    if (usesFW)
      push(r, "filter/KUBE-PROXY-FIREWALL", `${comment(`${name} traffic not accepted by ${ch.fw}`)} ${match(sp, ip, sp.port)} -j DROP`);
  }
  if (!hasExternal)
    for (const ip of sp.loadBalancerVIPs)
      push(r, "filter/KUBE-EXTERNAL-SERVICES", `${noEpComment} ${match(sp, ip, sp.port)} -j ${noEpTarget}`);
  if (sp.nodePort !== 0) {
    // kube-proxy counts localhost NodePort packets in an nfacct object before the general rule.
    if (hasEndpoints && ctx.cfg.nfacct && ctx.family === 4 && ctx.cfg.localhostNodePorts)
      push(
        r,
        "nat/KUBE-NODEPORTS",
        `${comment(name)} -m ${proto} -p ${proto} -d 127.0.0.0/8 --dport ${sp.nodePort} -m nfacct --nfacct-name ${NFACCT_LOCALHOST} -j ${ch.ext}`,
      );
    if (hasEndpoints) push(r, "nat/KUBE-NODEPORTS", `${comment(name)} -m ${proto} -p ${proto} --dport ${sp.nodePort} -j ${ch.ext}`);
    if (!hasExternal)
      push(
        r,
        "filter/KUBE-EXTERNAL-SERVICES",
        `${noEpComment} -m addrtype --dst-type LOCAL -m ${proto} -p ${proto} --dport ${sp.nodePort} -j ${noEpTarget}`,
      );
  }
  if (sp.healthCheckNodePort !== 0)
    push(
      r,
      "filter/KUBE-NODEPORTS",
      `${comment(`${name} health check node port`)} -m tcp -p tcp --dport ${sp.healthCheckNodePort} -j ACCEPT`,
    );

  if (usesExt) r.chains.push([ch.ext, chainRules(ch.ext, extChain(sp, ch, externalPolicyChain, hasExternal, ctx))]);
  if (usesFW) r.chains.push([ch.fw, chainRules(ch.fw, fwChain(sp, ch, ctx))]);
  const internalMasq = hasInternal ? masqForInternal(sp, ctx) : undefined;
  // Each endpoint's chain name is hashed once, though the SVC, SVL and SEP chains all use it.
  const seps = new Map<string, string>();
  const sepOf = (ep: EndpointInfo): string => {
    let sep = seps.get(ep.hostPort);
    if (sep === undefined) seps.set(ep.hostPort, (sep = endpointChain(name, sp.protocol, ep.hostPort)));
    return sep;
  };
  const svcLines = (chain: string, set: EndpointInfo[]): RuleText => {
    const jumps = endpointJumps(sp, set, ctx, sepOf);
    return internalMasq && chain === internalChain ? chainRules(chain, [internalMasq, ...jumps]) : chainRules(chain, jumps);
  };
  if (cat.cluster.length > 0 && usesClusterEndpoints(sp)) r.chains.push([ch.svc, svcLines(ch.svc, cat.cluster)]);
  if (cat.local.length > 0 && usesLocalEndpoints(sp)) r.chains.push([ch.svl, svcLines(ch.svl, cat.local)]);
  for (const ep of cat.allReachable) r.chains.push(sepChain(sp, ep, ctx, sepOf(ep)));
  return r;
}

function masqForInternal(sp: ServicePortInfo, ctx: RenderContext): string | undefined {
  const base = `${comment(`${sp.nameString} cluster IP`)} ${match(sp, sp.clusterIP, sp.port)}`;
  if (ctx.cfg.masqueradeAll) return `${base} -j KUBE-MARK-MASQ`;
  if (ctx.localCIDR) return `${base} ! -s ${ctx.localCIDR} -j KUBE-MARK-MASQ`;
  return undefined;
}

function extChain(
  sp: ServicePortInfo,
  ch: { svc: string; ext: string },
  policyChain: string,
  hasExternal: boolean,
  ctx: RenderContext,
): string[] {
  const n = sp.nameString;
  const lines: string[] = [];
  if (!sp.externalPolicyLocal) {
    lines.push(`${comment(`masquerade traffic for ${n} external destinations`)} -j KUBE-MARK-MASQ`);
  } else {
    if (ctx.localCIDR) lines.push(`${comment(`pod traffic for ${n} external destinations`)} -s ${ctx.localCIDR} -j ${ch.svc}`);
    lines.push(`${comment(`masquerade LOCAL traffic for ${n} external destinations`)} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
    lines.push(`${comment(`route LOCAL traffic for ${n} external destinations`)} -m addrtype --src-type LOCAL -j ${ch.svc}`);
  }
  if (hasExternal) lines.push(`-j ${policyChain}`);
  return lines;
}

function fwChain(sp: ServicePortInfo, ch: { ext: string; fw: string }, ctx: RenderContext): string[] {
  const head = comment(`${sp.nameString} loadbalancer IP`);
  const lines = sp.loadBalancerSourceRanges.map((c) => `${head} -s ${c} -j ${ch.ext}`);
  const nodeIPs = ctx.cfg.nodeIPs.filter((ip) => ip.includes(":") === (ctx.family === 6));
  if (sp.loadBalancerSourceRanges.some((c) => nodeIPs.some((ip) => cidrHasIP(c, ip))))
    for (const vip of sp.loadBalancerVIPs) lines.push(`${head} -s ${vip} -j ${ch.ext}`);
  lines.push(`${comment(`other traffic to ${sp.nameString} will be dropped by KUBE-PROXY-FIREWALL`)}`);
  return lines;
}

/** endpointJumps are a SVC/SVL chain's rule specs: affinity checks, then a random pick of the endpoint chains. */
function endpointJumps(sp: ServicePortInfo, eps: EndpointInfo[], ctx: RenderContext, sepOf: (ep: EndpointInfo) => string): string[] {
  const lines: string[] = [];
  const cmt = (ep: EndpointInfo) => (ctx.largeCluster ? "" : `${comment(`${sp.nameString} -> ${ep.hostPort}`)} `);
  if (sp.affinityClientIP)
    for (const ep of eps) {
      const sep = sepOf(ep);
      lines.push(`${cmt(ep)}-m recent --name ${sep} --rcheck --seconds ${sp.stickyMaxAgeSeconds} --reap -j ${sep}`);
    }
  eps.forEach((ep, i) => {
    const sep = sepOf(ep);
    const stat = i < eps.length - 1 ? `-m statistic --mode random --probability ${probability(eps.length - i)} ` : "";
    lines.push(`${cmt(ep)}${stat}-j ${sep}`);
  });
  return lines;
}

function sepChain(sp: ServicePortInfo, ep: EndpointInfo, ctx: RenderContext, sep: string): [string, RuleText] {
  const proto = sp.protocol.toLowerCase();
  const head = ctx.largeCluster ? "" : `${comment(sp.nameString)} `;
  const recent = sp.affinityClientIP ? `-m recent --name ${sep} --set ` : "";
  // chainRules joins its lines: the stored text is already one flat string.
  return [
    sep,
    chainRules(sep, [
      `${head}-s ${ep.ip} -j KUBE-MARK-MASQ`,
      `${head}${recent}-m ${proto} -p ${proto} -j DNAT --to-destination ${ep.hostPort}`,
    ]),
  ];
}

const probabilities: string[] = [];
/** probability formats 1/n like kube-proxy (`%0.10f`), cached. */
export function probability(n: number): string {
  return (probabilities[n] ??= (1 / n).toFixed(10));
}

function cidrHasIP(cidr: string, ip: string): boolean {
  const c = parseCIDR(cidr);
  return c !== undefined && cidrContains(c, ip);
}
