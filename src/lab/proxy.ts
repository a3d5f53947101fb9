/** The lab runs `podnet proxy` on every node, as a cluster runs kube-proxy (see agents.ts). */
import { nodeIdentity } from "./etcdmembers.js";
import { storeLocation } from "./labstore.js";
import type { Executor } from "../exec/types.js";
import { type Flavour, hintTransaction, RealIptables } from "../netfilter/index.js";
import { AGENT, proxyModeArgs } from "./agent.js";
import { type AgentKind, PODNET_BIN } from "./agents.js";
import type { LabConfig } from "./config.js";
import type { LabPaths } from "./layout.js";
import type { LabNode } from "./topology.js";

/** proxyArgv is the command line of one node's proxy. */
export function proxyArgv(paths: LabPaths, cfg: LabConfig, node: LabNode): string[] {
  return [
    process.execPath,
    PODNET_BIN,
    "proxy",
    "--node-name",
    node.name,
    "--node-ip",
    node.ip,
    ...(node.ip6 ? ["--node-ip", node.ip6] : []),
    ...cfg.cluster.clusterCIDRs.flatMap((c) => ["--cluster-cidr", c]),
    "--store",
    storeLocation(paths, cfg, nodeIdentity(node.name)),
    "--status-file",
    paths.proxyStatus(node.name),
    "--iptables",
    "auto",
    ...proxyModeArgs(cfg),
    "--sync-period",
    "2s",
  ];
}

/** markIptablesFlavour creates kubelet's KUBE-IPTABLES-HINT chain, which tells kube-proxy which iptables to use. */
export async function markIptablesFlavour(exec: Executor, netns: string, flavour: Flavour): Promise<void> {
  await new RealIptables(exec, netns, flavour, 4).apply(hintTransaction());
}

/** PROXY is the proxy as a node agent. */
export const PROXY: AgentKind = {
  name: "proxy",
  what: "sync service rules",
  argv: proxyArgv,
  statusFile: (paths, node) => paths.proxyStatus(node),
  logFile: (paths, node) => paths.proxyLog(node),
  hostedBy: (cfg) => (cfg.nodeAgent ? AGENT : undefined),
};
