/**
 * The lab's supervisor, as the kubelet restarts a DaemonSet's dead pods: a process of its own
 * (`lab supervise`, started by `lab up`, stopped by `lab down`) that every half second starts again
 * the node daemons that died — the node agent, the proxy, the policy and QoS agents, the CNI agent
 * — unless `lab stop` holds them down. It works only when the lab lock is free: a lab command that
 * holds it restarts dead daemons itself.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Executor } from "../exec/types.js";
import { pidLooksLike, stopPids } from "../util/proc.js";
import { AGENT } from "./agent.js";
import { type AgentKind, ensureAgents, heldDown, PODNET_BIN } from "./agents.js";
import { ensureCniAgents } from "./cniagent.js";
import type { LabConfig } from "./config.js";
import { type DaemonName, nodeDaemons, readDaemons, running } from "./daemons.js";
import { componentOf, controllerNames, controllerRecord, ensureControllers } from "./controllers.js";
import { ensureMembers, memberRunning } from "./etcdcluster.js";
import { LabError, type LabPaths } from "./layout.js";
import { POLICY } from "./policy.js";
import { PROXY } from "./proxy.js";
import { QOS } from "./qos.js";

/** nodeKinds are the node agents the lab runs as processes, in the order they start (policy after the proxy, which the node agent may host). */
export function nodeKinds(cfg: LabConfig): AgentKind[] {
  return [...(cfg.nodeAgent ? [AGENT] : []), PROXY, POLICY, QOS].filter((k) => !k.hostedBy?.(cfg));
}

/** parseComponent checks a `lab stop`/`lab start` argument: DAEMON/NODE, e.g. agent/node-2, or an etcd member, e.g. etcd-2. */
export function parseComponent(s: string, cfg: LabConfig): string {
  const members = cfg.datastore?.members ?? [];
  if (members.some((m) => m.name === s)) return s;
  if (controllerNames(cfg).map(componentOf).includes(s)) return s;
  const [daemon, node, ...rest] = s.split("/");
  const known = nodeDaemons(cfg);
  const etcd = members.length
    ? `, an etcd member (${members.map((m) => m.name).join(", ")}) or a controller (${controllerNames(cfg).map(componentOf).join(", ")})`
    : "";
  if (rest.length || !daemon || !node || !known.includes(daemon as DaemonName))
    throw new LabError(`invalid component "${s}": use DAEMON/NODE with DAEMON one of ${known.join(", ")}${etcd}`);
  if (!cfg.nodes.some((n) => n.name === node)) throw new LabError(`invalid component "${s}": the lab has no node "${node}"`);
  return `${daemon}/${node}`;
}

const heldFile = (paths: LabPaths) => join(paths.dir, "held.json");

/** setHeld holds a component down, or lets it run again. */
export function setHeld(paths: LabPaths, component: string, held: boolean): void {
  const all = heldDown(paths);
  if (held) all.add(component);
  else all.delete(component);
  writeFileSync(heldFile(paths), JSON.stringify([...all].sort()));
}

/** componentPid is the PID a component's last start recorded, if it still runs. */
export function componentPid(paths: LabPaths, cfg: LabConfig, component: string): number | undefined {
  const member = cfg.datastore?.members.find((m) => m.name === component);
  if (member) {
    const r = memberRunning(paths, member);
    return r.running ? r.pid : undefined;
  }
  if (component.startsWith("controller/")) {
    const r = controllerRecord(paths, component.replace("/", "-"));
    return running(r) ? r?.pid : undefined;
  }
  const [daemon, node = ""] = component.split("/") as [DaemonName, string];
  const r = readDaemons(paths, node)[daemon];
  return running(r) ? r?.pid : undefined;
}

/** reviveDaemons starts every etcd member and node daemon that is not running and not held down. */
export async function reviveDaemons(exec: Executor, paths: LabPaths, cfg: LabConfig): Promise<void> {
  const held = heldDown(paths);
  if (cfg.datastore) await ensureMembers(exec, paths, cfg.datastore.members, held);
  await ensureControllers(exec, paths, cfg, held);
  for (const kind of nodeKinds(cfg)) await ensureAgents(exec, paths, cfg, kind, held);
  await ensureCniAgents(exec, paths, cfg, held);
}

const pidFile = (paths: LabPaths) => join(paths.dir, "supervisor.pid");
const MARKER = "supervise";

/** supervisorRunning says whether the lab's supervisor process runs. */
export function supervisorRunning(paths: LabPaths): boolean {
  if (!existsSync(pidFile(paths))) return false;
  return pidLooksLike(Number(readFileSync(pidFile(paths), "utf8")), MARKER);
}

/** ensureSupervisor starts the lab's supervisor unless it runs. */
export async function ensureSupervisor(exec: Executor, paths: LabPaths): Promise<void> {
  if (supervisorRunning(paths)) return;
  const pid = await exec.daemon({
    argv: [process.execPath, PODNET_BIN, "lab", MARKER, "--lab", paths.lab, "--state-dir", paths.stateDir],
    netns: null,
    env: { NODE_EXTRA_CA_CERTS: undefined },
    logFile: join(paths.dir, "supervisor.log"),
    readyLine: "ready",
    timeoutMs: 30_000,
  });
  writeFileSync(pidFile(paths), String(pid));
}

/** stopSupervisor stops the lab's supervisor, by its PID. */
export async function stopSupervisor(paths: LabPaths): Promise<void> {
  if (supervisorRunning(paths)) await stopPids([Number(readFileSync(pidFile(paths), "utf8"))]);
}
