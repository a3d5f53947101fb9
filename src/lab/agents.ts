/**
 * Node agents the lab runs in every node's namespace and waits on: `podnet proxy` (kube-proxy) and
 * `podnet policy` (felix's policy part). Each is started at `lab up`, restarted by the next
 * reconcile if it died, and records the store version it last enforced in a status file, so that
 * `lab apply` returns only after every node programmed the change.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FORBID_NETNS_ENV } from "../cni/datapath.js";
import type { Executor } from "../exec/types.js";
import { readJson } from "../util/jsonfile.js";
import { pidLooksLike } from "../util/proc.js";
import type { LabConfig } from "./config.js";
import { type DaemonName, recordStart } from "./daemons.js";
import { LabError, type LabPaths, nodeNetns } from "./layout.js";
import type { LabNode } from "./topology.js";

/** PODNET_BIN is the podnet executable the agents run. */
export const PODNET_BIN = fileURLToPath(new URL("../../../bin/podnet", import.meta.url));

/** AgentKind describes one kind of node agent. */
export interface AgentKind {
  name: DaemonName;
  /** what it does, for errors: "sync service rules". */
  what: string;
  argv(paths: LabPaths, cfg: LabConfig, node: LabNode): string[];
  statusFile(paths: LabPaths, node: string): string;
  logFile(paths: LabPaths, node: string): string;
  /** hostedBy is the daemon this one runs inside when it is not a process of its own (the proxy in the node agent). */
  hostedBy?(cfg: LabConfig): AgentKind | undefined;
}

/** AgentStatus is what every agent's status file holds. */
export interface AgentStatus {
  pid: number;
  resourceVersion: number;
  error?: string;
}

/** heldDown is the set of daemons `lab stop` holds down ("agent/node-2"), from held.json. */
export function heldDown(paths: LabPaths): Set<string> {
  return new Set(readJson<string[]>(join(paths.dir, "held.json")) ?? []);
}

function alive(s: AgentStatus | undefined): boolean {
  return s !== undefined && pidLooksLike(s.pid, PODNET_BIN);
}

/** ensureAgents starts the agent of every node where it is not running, but those `held` down (as "proxy/node-2"). */
export async function ensureAgents(
  exec: Executor,
  paths: LabPaths,
  cfg: LabConfig,
  kind: AgentKind,
  held = heldDown(paths),
): Promise<void> {
  const host = kind.hostedBy?.(cfg);
  if (host) return ensureAgents(exec, paths, cfg, host, held);
  await Promise.all(
    cfg.nodes.map(async (n) => {
      if (held.has(`${kind.name}/${n.name}`) || alive(readJson<AgentStatus>(kind.statusFile(paths, n.name)))) return;
      const pid = await exec.daemon({
        argv: kind.argv(paths, cfg, n),
        netns: nodeNetns(cfg.name, n.name),
        // The node agent's CNI socket wires pods: never in the machine's own namespace.
        env: { [FORBID_NETNS_ENV]: cfg.rootNetnsInode, NODE_EXTRA_CA_CERTS: undefined },
        logFile: kind.logFile(paths, n.name),
        readyLine: "ready",
        timeoutMs: 30_000,
      });
      recordStart(paths, n.name, kind.name, pid, PODNET_BIN);
    }),
  );
}

/** waitForAgents waits until every node's agent enforced store version `rv` (or fails with its error); held-down agents are not waited for. */
export async function waitForAgents(paths: LabPaths, cfg: LabConfig, kind: AgentKind, rv: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const held = heldDown(paths);
  // A hosted daemon is held down, dies and logs (its lines prefixed with its name) as its host.
  const owner = kind.hostedBy?.(cfg) ?? kind;
  for (const n of cfg.nodes.filter((x) => !held.has(`${owner.name}/${x.name}`))) {
    for (;;) {
      const s = readJson<AgentStatus>(kind.statusFile(paths, n.name));
      if (s && s.resourceVersion >= rv && !s.error) break;
      if (Date.now() > deadline || (s && !alive(s)))
        throw new LabError(
          `failed to ${kind.what} on node "${n.name}": ${s?.error ?? (s && !alive(s) ? `its ${owner.name} exited` : "timed out")} (log: ${owner.logFile(paths, n.name)})`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
