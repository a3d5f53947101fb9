/**
 * One service port in kube-proxy's nftables layout: its elements in the shared maps and sets
 * (service-ips, service-nodeports, no-endpoint-*, firewall-ips, cluster-ips) and its own chains
 * (service-/local- for the Cluster and Local policies, external-, firewall-, one endpoint- per
 * reachable endpoint) and affinity sets. Pure: the same input gives the same data, so a sync is a
 * diff of elements and of chain texts.
 */
import { cidrContains, parseCIDR } from "../../util/ip.js";
import { type Categorized, categorizeEndpoints } from "../categorize.js";
import {
  type EndpointInfo,
  type Family,
  externallyAccessible,
  type ProxyConfig,
  type ServicePortInfo,
  usesClusterEndpoints,
  usesLocalEndpoints,
} from "../types.js";
import { nftEndpointNames, nftServiceChains } from "./names.js";
import { type ContainerName, ipWords } from "./setup.js";

/** NftRenderContext is what every port's render shares in one sync. */
export interface NftRenderContext {
  cfg: ProxyConfig;
  family: Family;
  masqMark: string;
  /** localCIDR is the ClusterCIDR local-traffic detector's CIDR for this family, if any. */
  localCIDR: string | undefined;
}

/** NftElement is one element of a shared map or set. */
export interface NftElement {
  container: ContainerName;
  key: string;
  value?: string;
  comment?: string;
}

/** NftRule is one rule of a chain. */
export interface NftRule {
  rule: string;
  comment?: string;
}

/** NftPortRules is one service port's share of the table. */
export interface NftPortRules {
  sp: ServicePortInfo;
  cat: Categorized;
  endpoints: number;
  elements: NftElement[];
  /** chains are the port's own chains with their rules. */
  chains: [string, NftRule[]][];
  /** affinity are the port's affinity sets with their timeout in seconds. */
  affinity: [string, number][];
}

function verdicts(sp: ServicePortInfo, cat: Categorized, localCount: number) {
  const hasInternal = cat.hasAny && !(sp.internalPolicyLocal && localCount === 0);
  const hasExternal = cat.hasAny && !(sp.externalPolicyLocal && localCount === 0);
  const reject = "goto reject-chain";
  return { hasInternal, hasExternal, internalVerdict: cat.hasAny ? "drop" : reject, externalVerdict: cat.hasAny ? "drop" : reject };
}

function toEndpoints(eps: EndpointInfo[], sp: ServicePortInfo, ipX: string): NftRule[] {
  const names = eps.map((ep) => nftEndpointNames(sp.nameString, sp.protocol, ep.hostPort));
  const rules: NftRule[] = sp.affinityClientIP ? names.map((n) => ({ rule: `${ipX} saddr @${n.affinity} goto ${n.chain}` })) : [];
  rules.push({ rule: `numgen random mod ${eps.length} vmap { ${names.map((n, i) => `${i} : goto ${n.chain}`).join(" , ")} }` });
  return rules;
}

/** renderNftPort renders one service port. */
export function renderNftPort(sp: ServicePortInfo, eps: EndpointInfo[], ctx: NftRenderContext): NftPortRules {
  const { ipX } = ipWords(ctx.family);
  const proto = sp.protocol.toLowerCase();
  const cat = categorizeEndpoints(eps, sp, ctx.cfg.nodeLabels);
  const names = nftServiceChains(sp.nameString, sp.protocol);
  const v = verdicts(sp, cat, cat.local.length);
  const usesCluster = cat.cluster.length > 0 && usesClusterEndpoints(sp);
  const usesLocal = cat.local.length > 0 && usesLocalEndpoints(sp);
  const internalChain = sp.internalPolicyLocal ? names.local : names.cluster;
  const externalPolicyChain = sp.externalPolicyLocal ? names.local : names.cluster;
  const usesExternal = cat.hasAny && externallyAccessible(sp);
  const usesFw = sp.loadBalancerVIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0;
  const elements: NftElement[] = [{ container: "cluster-ips", key: sp.clusterIP }];
  const k3 = (ip: string) => `${ip} . ${proto} . ${sp.port}`;
  const noEp = (key: string, verdict: string, container: ContainerName = "no-endpoint-services") =>
    elements.push({ container, key, value: verdict, comment: sp.nameString });

  if (v.hasInternal) elements.push({ container: "service-ips", key: k3(sp.clusterIP), value: `goto ${internalChain}` });
  else noEp(k3(sp.clusterIP), v.internalVerdict);
  for (const ip of [...sp.externalIPs, ...sp.loadBalancerVIPs]) {
    if (cat.hasAny) elements.push({ container: "service-ips", key: k3(ip), value: `goto ${names.external}` });
    if (!v.hasExternal) noEp(k3(ip), v.externalVerdict);
  }
  if (usesFw)
    for (const ip of sp.loadBalancerVIPs) elements.push({ container: "firewall-ips", key: k3(ip), value: `goto ${names.firewall}` });
  if (sp.nodePort) {
    const key = `${proto} . ${sp.nodePort}`;
    if (cat.hasAny) elements.push({ container: "service-nodeports", key, value: `goto ${names.external}` });
    if (!v.hasExternal) noEp(key, v.externalVerdict, "no-endpoint-nodeports");
  }

  const chains: [string, NftRule[]][] = [];
  const internalRules: NftRule[] = [];
  if (v.hasInternal) {
    const head = `${ipX} daddr ${sp.clusterIP} ${proto} dport ${sp.port}`;
    if (ctx.cfg.masqueradeAll) internalRules.push({ rule: `${head} jump mark-for-masquerade` });
    else if (ctx.localCIDR) internalRules.push({ rule: `${head} ${ipX} saddr != ${ctx.localCIDR} jump mark-for-masquerade` });
  }
  const policyChain = (name: string, chosen: EndpointInfo[]): NftRule[] => [
    ...(name === internalChain ? internalRules : []),
    ...toEndpoints(chosen, sp, ipX),
  ];
  if (usesCluster) chains.push([names.cluster, policyChain(names.cluster, cat.cluster)]);
  if (usesLocal) chains.push([names.local, policyChain(names.local, cat.local)]);
  if (usesExternal) chains.push([names.external, externalRules(sp, v.hasExternal, names.cluster, externalPolicyChain, ctx)]);
  if (usesFw) chains.push([names.firewall, [{ rule: `${ipX} saddr != { ${firewallSources(sp, ctx).join(", ")} } drop` }]]);
  const affinity: [string, number][] = [];
  for (const ep of cat.allReachable) {
    const n = nftEndpointNames(sp.nameString, sp.protocol, ep.hostPort);
    if (sp.affinityClientIP) affinity.push([n.affinity, sp.stickyMaxAgeSeconds]);
    chains.push([
      n.chain,
      [
        { rule: `${ipX} saddr ${ep.ip} jump mark-for-masquerade` },
        ...(sp.affinityClientIP ? [{ rule: `update @${n.affinity} { ${ipX} saddr }` }] : []),
        { rule: `meta l4proto ${proto} dnat to ${ep.hostPort}` },
      ],
    ]);
  }
  return { sp, cat, endpoints: eps.length, elements, chains, affinity };
}

function externalRules(
  sp: ServicePortInfo,
  hasExternal: boolean,
  clusterChain: string,
  policyChain: string,
  ctx: NftRenderContext,
): NftRule[] {
  const { ipX } = ipWords(ctx.family);
  const rules: NftRule[] = [];
  if (!sp.externalPolicyLocal) rules.push({ rule: "jump mark-for-masquerade" });
  else {
    if (ctx.localCIDR) rules.push({ rule: `${ipX} saddr ${ctx.localCIDR} goto ${clusterChain}`, comment: "short-circuit pod traffic" });
    rules.push({ rule: "fib saddr type local jump mark-for-masquerade", comment: "masquerade local traffic" });
    rules.push({ rule: `fib saddr type local goto ${clusterChain}`, comment: "short-circuit local traffic" });
  }
  if (hasExternal) rules.push({ rule: `goto ${policyChain}` });
  return rules;
}

function firewallSources(sp: ServicePortInfo, ctx: NftRenderContext): string[] {
  const nodeIP = ctx.cfg.nodeIPs.find((ip) => ip.includes(":") === (ctx.family === 6));
  const sources = [...sp.loadBalancerSourceRanges];
  const fromNode =
    nodeIP !== undefined &&
    sources.some((c) => {
      const p = parseCIDR(c);
      return p !== undefined && cidrContains(p, nodeIP);
    });
  return fromNode ? [...sources, ...sp.loadBalancerVIPs] : sources;
}
