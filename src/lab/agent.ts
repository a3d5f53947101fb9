/**
 * `lab up --node-agent`: every node's routing runs in a `podnet agent` process in the node's
 * namespace (as flanneld or calico-node on a host) instead of the lab's in-process reconcile. The
 * lab starts it like its other node agents and waits until every agent converged to its change.
 */
import { nodeIdentity } from "./etcdmembers.js";
import { storeLocation } from "./labstore.js";
import type { AgentKind } from "./agents.js";
import { PODNET_BIN } from "./agents.js";
import type { LabConfig } from "./config.js";
import type { LabPaths } from "./layout.js";
import type { LabNode } from "./topology.js";

/** agentArgv is the command line of one node's agent. */
export function agentArgv(paths: LabPaths, cfg: LabConfig, node: LabNode): string[] {
  const r = cfg.routing;
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
