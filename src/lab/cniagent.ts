/**
 * The lab runs `podnet-cni agent` on every node, as kube-ovn runs its CNI daemon: the node's
 * conflist names the socket (`agentSocket`, in the node's directory), so the podnet-cni executable
 * hands every runtime's calls to it — the lab's kubelet's and podman's alike. Started
 * at `lab up`, restarted by the next reconcile if it died; it dies with its node's namespace.
 * A state dir too deep for a unix socket path runs the plugin standalone instead. With node
 * agents (`lab up --node-agent`, and on etcd) the node agent serves the same socket instead.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FORBID_NETNS_ENV } from "../cni/datapath.js";
import type { Executor } from "../exec/types.js";
import { pidLooksLike } from "../util/proc.js";
import { heldDown } from "./agents.js";
import { recordStart } from "./daemons.js";
import type { LabConfig } from "./config.js";
import { type LabPaths, nodeNetns } from "./layout.js";

const PODNET_CNI = fileURLToPath(new URL("../../../bin/podnet-cni", import.meta.url));
const MAX_SOCKET_PATH = 107; // sun_path holds 108 bytes with the terminating NUL

/** cniSocket is the node's agent socket, or "none" (standalone plugin) when the path is too long. */
export function cniSocket(paths: LabPaths, node: string): string {
  const path = join(paths.nodeDir(node), "cni", "agent.sock");
  return Buffer.byteLength(path) <= MAX_SOCKET_PATH ? path : "none";
}

function agentPid(paths: LabPaths, node: string): number | undefined {
  try {
    return Number(readFileSync(join(paths.nodeDir(node), "cni-agent.pid"), "utf8"));
  } catch {
    return undefined;
  }
}

/** ensureCniAgents starts the agent of every node whose agent is not running. */
export async function ensureCniAgents(exec: Executor, paths: LabPaths, cfg: LabConfig, held = heldDown(paths)): Promise<void> {
  if (cfg.nodeAgent) return; // the node agent serves the socket
  await Promise.all(
    cfg.nodes.map(async (n) => {
      const socket = cniSocket(paths, n.name);
      const pid = agentPid(paths, n.name);
      if (held.has(`cni-agent/${n.name}`) || socket === "none" || (pid !== undefined && pidLooksLike(pid, socket))) return;
      const started = await exec.daemon({
        argv: [PODNET_CNI, "agent", "--socket", socket],
        netns: nodeNetns(cfg.name, n.name),
        env: { [FORBID_NETNS_ENV]: cfg.rootNetnsInode, NODE_EXTRA_CA_CERTS: undefined },
        logFile: join(paths.nodeDir(n.name), "cni-agent.log"),
        readyLine: "ready",
        timeoutMs: 30_000,
      });
      writeFileSync(join(paths.nodeDir(n.name), "cni-agent.pid"), String(started));
      recordStart(paths, n.name, "cni-agent", started, socket);
    }),
  );
}
