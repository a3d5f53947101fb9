/**
 * `lab status -o json`: the lab's processes as data, for scripts and tests — the datastore and its
 * members (running, answering), each node's daemons (PID, restarts, whether the agent is in step),
 * the controllers and the supervisor.
 */
import { existsSync, readFileSync } from "node:fs";
import { type AgentStatus, heldDown } from "./agents.js";
import type { LabConfig } from "./config.js";
import { type DaemonName, type DaemonRecord, nodeDaemons, readDaemons, running } from "./daemons.js";
import { componentOf, controllerNames, controllerRecord } from "./controllers.js";
import { memberHealthy, memberRunning } from "./etcdcluster.js";
import { ETCD_PORTS } from "./etcdmembers.js";
import { type LabPaths, nodeNetns } from "./layout.js";
import { SandboxDir } from "./sandbox.js";
import { supervisorRunning } from "./supervisor.js";

/** DaemonReport is one process of the lab. */
export interface DaemonReport {
  pid: number | null;
  running: boolean;
  restarts: number;
  held: boolean;
}

/** StatusReport is `lab status -o json`. */
export interface StatusReport {
  name: string;
  datastore:
    | { kind: "embedded"; file: string }
    | { kind: "etcd"; members: (DaemonReport & { name: string; netns: string; endpoint: string; healthy: boolean })[] };
  nodes: {
    name: string;
    netns: string;
    ip: string;
    pods: number;
    /** agent is the node's podnet agent; error is what it last failed at (e.g. the datastore is not the cluster's). */
    agent: (DaemonReport & { ready: boolean; error?: string }) | null;
    daemons: Partial<Record<DaemonName, DaemonReport>>;
  }[];
  controllers: (DaemonReport & { name: string; leader: boolean })[];
  supervisor: { running: boolean } | null;
}

function daemon(r: DaemonRecord | undefined, held: boolean): DaemonReport {
  return { pid: r?.pid ?? null, running: running(r), restarts: Math.max(0, (r?.starts ?? 0) - 1), held };
}

function readStatus(file: string): AgentStatus | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as AgentStatus;
  } catch {
    return undefined;
  }
}

/** StoreView is what the report reads from the store (undefined when it does not answer). */
export interface StoreView {
  /** version is the store's, which an agent must have applied to be ready. */
  version: number | undefined;
  /** leader is the controller replica holding the election. */
  leader: string | undefined;
}

/** statusReport gathers the report. */
export async function statusReport(paths: LabPaths, cfg: LabConfig, view: StoreView): Promise<StatusReport> {
  const version = view.version;
  const held = heldDown(paths);
  const members = cfg.datastore?.members ?? [];
  const health = await Promise.all(members.map((m) => memberHealthy(paths, m)));
  return {
    name: cfg.name,
    datastore: cfg.datastore
      ? {
          kind: "etcd",
          members: members.map((m, i) => {
            const r = memberRunning(paths, m);
            return {
              name: m.name,
              netns: m.netns,
              endpoint: `https://${m.ip}:${ETCD_PORTS.client}`,
              pid: r.pid ?? null,
              running: r.running,
              restarts: Math.max(0, r.starts - 1),
              held: held.has(m.name),
              healthy: health[i] ?? false,
            };
          }),
        }
      : { kind: "embedded", file: paths.store },
    nodes: cfg.nodes.map((n) => {
      const d = readDaemons(paths, n.name);
      const status = readStatus(paths.agentStatus(n.name)) as (AgentStatus & { converged?: boolean }) | undefined;
      const agent = daemon(d.agent, held.has(`agent/${n.name}`));
      const inStep = version === undefined || (status?.resourceVersion ?? -1) >= version;
      return {
        name: n.name,
        netns: nodeNetns(cfg.name, n.name),
        ip: n.ip,
        pods: new SandboxDir(paths.sandboxDir(n.name)).list().length,
        agent: cfg.nodeAgent
          ? {
              ...agent,
              ready: agent.running && status?.converged === true && !status.error && inStep,
              ...(status?.error ? { error: status.error } : {}),
            }
          : null,
        daemons: Object.fromEntries(
          nodeDaemons(cfg)
            .filter((x) => x !== "agent")
            .map((x) => [x, daemon(d[x], held.has(`${x}/${n.name}`))]),
        ),
      };
    }),
    controllers: controllerNames(cfg).map((name) => ({
      name,
      ...daemon(controllerRecord(paths, name), held.has(componentOf(name))),
      leader: view.leader === name,
    })),
    supervisor: cfg.supervise ? { running: supervisorRunning(paths) } : null,
  };
}
