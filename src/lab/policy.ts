/** The lab runs `podnet policy` on every node, as a cluster runs calico-node's felix (see agents.ts). */
import { nodeIdentity } from "./etcdmembers.js";
import { storeLocation } from "./labstore.js";
import type { AgentKind } from "./agents.js";
import { PODNET_BIN } from "./agents.js";

/** POLICY is the NetworkPolicy agent as a node agent. */
export const POLICY: AgentKind = {
  name: "policy",
  what: "enforce network policy",
  argv: (paths, cfg, node) => [
    process.execPath,
    PODNET_BIN,
    "policy",
    "--node-name",
    node.name,
    "--store",
    storeLocation(paths, cfg, nodeIdentity(node.name)),
    "--status-file",
    paths.policyStatus(node.name),
    "--denied-log",
    paths.policyDenied(node.name),
    "--iptables",
    "auto",
    "--full-sync-period",
    "30s",
    ...(cfg.ipFamily === "dual" ? ["--ip-family", "dual"] : []),
  ],
  statusFile: (paths, node) => paths.policyStatus(node),
  logFile: (paths, node) => paths.policyLog(node),
};
