/**
 * The lab runs `podnet proxy` on every node, as a cluster runs kube-proxy: started at `lab up`,
 * restarted by the next reconcile if it died, and waited on so that `lab apply` returns only after
 * every node programmed the change (each proxy records the store version it synced).
 */
import { fileURLToPath } from "node:url";
import type { Executor } from "../exec/types.js";
import { type ProxyStatus, readProxyStatus } from "../proxy/daemon.js";
import { type Flavour, hintTransaction, RealIptables } from "../netfilter/index.js";
import type { LabConfig } from "./config.js";
import { LabError, type LabPaths, nodeNetns } from "./layout.js";
import { pidLooksLike } from "../util/proc.js";
import { recordStart } from "./daemons.js";
import type { LabNode } from "./topology.js";

const PODNET_BIN = fileURLToPath(new URL("../../../bin/podnet", import.meta.url));

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
    paths.store,
    "--status-file",
    paths.proxyStatus(node.name),
    "--iptables",
    "auto",
    "--sync-period",
    "2s",
    ...(cfg.ipFamily === "dual" ? ["--ip-family", "dual"] : []),
  ];
}

/** markIptablesFlavour creates kubelet's KUBE-IPTABLES-HINT chain, which tells kube-proxy which iptables to use. */
export async function markIptablesFlavour(exec: Executor, netns: string, flavour: Flavour): Promise<void> {
  await new RealIptables(exec, netns, flavour, 4).apply(hintTransaction());
}

function alive(s: ProxyStatus | undefined): boolean {
  return s !== undefined && pidLooksLike(s.pid, PODNET_BIN);
}

/** ensureProxies starts the proxy of every node whose proxy is not running. */
export async function ensureProxies(exec: Executor, paths: LabPaths, cfg: LabConfig): Promise<void> {
  await Promise.all(
    cfg.nodes.map(async (n) => {
      if (alive(readProxyStatus(paths.proxyStatus(n.name)))) return;
      const pid = await exec.daemon({
        argv: proxyArgv(paths, cfg, n),
        netns: nodeNetns(cfg.name, n.name),
        env: { NODE_EXTRA_CA_CERTS: undefined },
        logFile: paths.proxyLog(n.name),
        readyLine: "ready",
        timeoutMs: 30_000,
      });
      recordStart(paths, n.name, "proxy", pid, PODNET_BIN);
    }),
  );
}

/** waitForProxies waits until every node's proxy synced store version `rv` (or fails with its error). */
export async function waitForProxies(paths: LabPaths, cfg: LabConfig, rv: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const n of cfg.nodes) {
    for (;;) {
      const s = readProxyStatus(paths.proxyStatus(n.name));
      if (s && s.resourceVersion >= rv && !s.error) break;
      if (Date.now() > deadline || (s && !alive(s)))
        throw new LabError(
          `failed to sync service rules on node "${n.name}": ${s?.error ?? (s && !alive(s) ? "its proxy exited" : "timed out")} (log: ${paths.proxyLog(n.name)})`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
