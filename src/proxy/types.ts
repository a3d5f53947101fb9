/**
 * The proxy's view of the cluster, shared by every backend (iptables now; nftables and ipvs later):
 * one ServicePortInfo per service port and IP family, the endpoints behind it, and the node's settings.
 * These mirror kube-proxy's ServicePort / Endpoint interfaces so its behaviour carries over one to one.
 */
import type { Family } from "../util/ip.js";

export type { Family };

/** Protocol is a service port protocol. */
export type Protocol = "TCP" | "UDP" | "SCTP";

/** ProxyConfig is a node's proxy settings, named after kube-proxy's flags. */
export interface ProxyConfig {
  nodeName: string;
  /** nodeIPs are the node's addresses (both families allowed); used by the LB firewall's allow-from-node rule. */
  nodeIPs: string[];
  /** clusterCIDRs (--cluster-cidr) enable the ClusterCIDR local-traffic detector. */
  clusterCIDRs: string[];
  masqueradeBit: number;
  masqueradeAll: boolean;
  /** localhostNodePorts (--iptables-localhost-nodeports) lets IPv4 NodePorts answer on 127.0.0.0/8. */
  localhostNodePorts: boolean;
  /** nodeLabels are the node's labels; topology.kubernetes.io/zone drives topology-aware routing. */
  nodeLabels: Record<string, string>;
  /** conntrackTCPLiberal mirrors nf_conntrack_tcp_be_liberal: when set, INVALID packets are not dropped. */
  conntrackTCPLiberal: boolean;
  /** nfacct counts INVALID drops and localhost NodePort packets in kube-proxy's nfacct objects (iptables mode, where the kernel has nfacct). */
  nfacct?: boolean;
}

/** DEFAULT_PROXY_CONFIG holds kube-proxy's defaults for everything but the node's identity. */
export const DEFAULT_PROXY_CONFIG: Omit<ProxyConfig, "nodeName" | "nodeIPs"> = {
  clusterCIDRs: [],
  masqueradeBit: 14,
  masqueradeAll: false,
  localhostNodePorts: true,
  nodeLabels: {},
  conntrackTCPLiberal: false,
};

/** ServicePortInfo is one port of one Service in one IP family, as the proxy programs it. */
export interface ServicePortInfo {
  namespace: string;
  name: string;
  portName: string;
  /** nameString is kube-proxy's ServicePortName.String(): `ns/name` or `ns/name:port`. */
  nameString: string;
  protocol: Protocol;
  family: Family;
  clusterIP: string;
  port: number;
  nodePort: number;
  externalIPs: string[];
  loadBalancerVIPs: string[];
  loadBalancerSourceRanges: string[];
  affinityClientIP: boolean;
  stickyMaxAgeSeconds: number;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  healthCheckNodePort: number;
  /** topologyHints is true when the service asks for topology-aware routing (hints annotation or PreferClose). */
  topologyHints: boolean;
}

/** EndpointInfo is one endpoint of a service port. */
export interface EndpointInfo {
  ip: string;
  port: number;
  /** hostPort is kube-proxy's Endpoint.String(): `ip:port`, `[ip6]:port`. */
  hostPort: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  local: boolean;
  zoneHints: readonly string[];
}

/** servicePortKey identifies a service port across syncs: `ns/name:port/PROTO`. */
export function servicePortKey(sp: Pick<ServicePortInfo, "nameString" | "protocol">): string {
  return `${sp.nameString}/${sp.protocol}`;
}

/** externallyAccessible is true when the port has a NodePort, external IPs or load-balancer IPs. */
export function externallyAccessible(sp: ServicePortInfo): boolean {
  return sp.nodePort !== 0 || sp.externalIPs.length > 0 || sp.loadBalancerVIPs.length > 0;
}

/** usesClusterEndpoints is true when some traffic to the port uses the Cluster policy. */
export function usesClusterEndpoints(sp: ServicePortInfo): boolean {
  return !sp.internalPolicyLocal || (externallyAccessible(sp) && !sp.externalPolicyLocal);
}

/** usesLocalEndpoints is true when some traffic to the port uses the Local policy. */
export function usesLocalEndpoints(sp: ServicePortInfo): boolean {
  return sp.internalPolicyLocal || (externallyAccessible(sp) && sp.externalPolicyLocal);
}

/** SyncResult describes one sync, with podnet's own time split from iptables' time. */
export interface SyncResult {
  full: boolean;
  services: number;
  changedServices: number;
  /** written lists the chains written (on a full sync, only the shared and static ones). */
  written: string[];
  writtenCount: number;
  deleted: string[];
  restoreBytes: number;
  /** computeMs covers categorise + render + plan (podnet's own work). */
  computeMs: number;
  /** iptablesMs covers the kernel tool's time: iptables-restore (or nft) plus the listing of a full sync. */
  iptablesMs: number;
  /** otherMs covers jumps, canaries and conntrack. */
  otherMs: number;
  errors: string[];
  /** elementChanges counts the map and set element changes (nftables mode). */
  elementChanges?: number;
  /** flushed lists the chains flushed as stale, to be deleted a second later (nftables mode). */
  flushed?: string[];
}

/** ProxyError is a failed proxy operation: `failed to <verb> <thing> "<name>": <cause>`. */
export class ProxyError extends Error {
  constructor(
    readonly verb: string,
    thing: string,
    name: string,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`failed to ${verb} ${thing} "${name}": ${why}`, cause instanceof Error ? { cause } : {});
    this.name = "ProxyError";
  }
}
