/**
 * `lab up --node-agent`: every node's routing runs in a `podnet agent` process in the node's
 * namespace (as flanneld or calico-node on a host) instead of the lab's in-process reconcile, with
 * the node's service proxy and CNI socket in the same process (no `podnet proxy` or `podnet-cni
 * agent` of their own). The lab starts it like its other node agents and waits until every agent
 * converged to its change.
 */
import { cniSocket } from "./cniagent.js";
import { nodeIdentity } from "./etcdmembers.js";
import { storeLocation } from "./labstore.js";
import type { AgentKind } from "./agents.js";
import { PODNET_BIN } from "./agents.js";
import type { LabConfig } from "./config.js";
import type { LabPaths } from "./layout.js";
import type { LabNode } from "./topology.js";

/** agentArgv is the command line of one node's agent: its routing, its service proxy (node IPs from its Node) and its CNI socket. */
export function agentArgv(paths: LabPaths, cfg: LabConfig, node: LabNode): string[] {
  const r = cfg.routing;
  const socket = cniSocket(paths, node.name);
  return [
    process.execPath,
    PODNET_BIN,
    "agent",
    "--node-name",
    node.name,
    "--store",
    storeLocation(paths, cfg, nodeIdentity(node.name)),
    "--status-file",
    paths.agentStatus(node.name),
    ...cfg.cluster.clusterCIDRs.flatMap((c) => ["--cluster-cidr", c]),
    "--routing-mode",
    r.mode,
    "--underlay-dev",
    r.underlayDev,
    "--underlay-mtu",
    String(r.underlayMtu),
    "--vni",
    String(r.vni),
    "--vxlan-port",
    String(r.port),
    "--asn",
    String(r.asn),
    ...(r.routeReflectors.length ? ["--bgp-route-reflectors", r.routeReflectors.join(",")] : []),
    "--state-dir",
    paths.routingDir(node.name),
    ...(cfg.datastore ? ["--heartbeat-ttl", "10s"] : []),
    "--iptables",
    cfg.iptables,
    "--resync-period",
    "5s",
    "--bind-address",
    "127.0.0.1:9099",
    ...proxyModeArgs(cfg),
    "--proxy-status-file",
    paths.proxyStatus(node.name),
    "--proxy-sync-period",
    "2s",
    ...(socket === "none" ? [] : ["--cni-socket", socket]),
  ];
}

/** proxyModeArgs are the proxy's mode, service ranges and families, as `podnet proxy` and `podnet agent` take them. */
export function proxyModeArgs(cfg: LabConfig): string[] {
  return [
    "--proxy-mode",
    cfg.proxyMode ?? "iptables",
    ...(cfg.proxyMode === "nftables" ? cfg.cluster.serviceCIDRs.flatMap((c) => ["--service-cidr", c]) : []),
    ...(cfg.ipFamily === "dual" ? ["--ip-family", "dual"] : []),
  ];
}

/** AGENT is `podnet agent` as a node agent. */
export const AGENT: AgentKind = {
  name: "agent",
  what: "route pods",
  argv: agentArgv,
  statusFile: (paths, node) => paths.agentStatus(node),
  logFile: (paths, node) => paths.agentLog(node),
};
