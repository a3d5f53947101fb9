/**
 * The lab on etcd runs the cluster's controllers as two `podnet controller` replicas, as a cluster
 * runs kube-controller-manager: in the underlay namespace (they reach the members over it), each
 * with its own certificate, electing a leader on a Lease; the supervisor restarts a dead one and
 * `lab stop controller/N` holds one down. Only the leader writes what controllers write: a lab
 * command writes what a user or a kubelet writes, then waits until a leader's pass has read the
 * cluster at or after its write (the revision each replica records in its status file).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Executor } from "../exec/types.js";
import type { ControllerStatus } from "../cluster/daemon.js";
import { readJson } from "../util/jsonfile.js";
import { heldDown, PODNET_BIN } from "./agents.js";
import type { LabConfig } from "./config.js";
import { type DaemonRecord, readRecords, recordStartIn, running, startedWithin } from "./daemons.js";
import { CONTROLLERS } from "./etcdmembers.js";
import { LabError, type LabPaths, underlayNetns } from "./layout.js";
import { type LabStore, storeLocation } from "./labstore.js";

/** CONTROLLER_ELECTION is the Lease the replicas elect their leader on (podnet-system/podnet-controller). */
export const CONTROLLER_ELECTION = { kind: "Lease", namespace: "podnet-system", name: "podnet-controller" };

/** controllerNames are the lab's replicas: controller-1, controller-2 (components controller/1, controller/2). */
export function controllerNames(cfg: LabConfig): string[] {
  return cfg.datastore ? Array.from({ length: CONTROLLERS }, (_, i) => `controller-${i + 1}`) : [];
}

/** controllersDir holds the replicas' logs and start records. */
export function controllersDir(paths: LabPaths): string {
  return join(paths.dir, "controllers");
}

/** controllerArgv is one replica's command line: its identity is its certificate's name. */
export function controllerArgv(paths: LabPaths, cfg: LabConfig, name: string): string[] {
  return [
    process.execPath,
    PODNET_BIN,
    "controller",
    "--store",
    storeLocation(paths, cfg, name as `controller-${number}`),
    "--identity",
    name,
    "--lease-duration",
    "2s",
    "--resync-period",
    "5s",
    "--status-file",
    controllerStatusFile(paths, name),
  ];
}

/**
 * awaitControllers waits, on etcd, until a controller leader has acted on the cluster as this
 * command sees it — the store's version: its own writes and the newest object of a kind the
 * controllers follow (a command that changed nothing still finishes what an earlier one, cut
 * short, left to them).
 */
export async function awaitControllers(lab: { exec: Executor; paths: LabPaths; store: LabStore }, cfg: LabConfig): Promise<void> {
  if (cfg.datastore) await waitForControllers(lab.exec, lab.paths, cfg, await lab.store.version());
}

/** controllerStatusFile is where a replica records the revision of its last pass as leader. */
export function controllerStatusFile(paths: LabPaths, name: string): string {
  return join(controllersDir(paths), `${name}.status.json`);
}

/**
 * waitForControllers returns once a leader's pass has read the cluster at revision rev or later, so
 * what the controllers make of a write at rev is in the store; it starts replicas that should run,
 * and fails naming each replica's state after timeoutMs.
 */
export async function waitForControllers(exec: Executor, paths: LabPaths, cfg: LabConfig, rev: number, timeoutMs = 20_000): Promise<void> {
  const held = heldDown(paths);
  await ensureControllers(exec, paths, cfg, held);
  const deadline = Date.now() + timeoutMs;
  const names = controllerNames(cfg);
  for (;;) {
    const statuses = names.map((n) => readJson<ControllerStatus>(controllerStatusFile(paths, n)));
    if (statuses.some((s) => s && s.revision >= rev)) return;
    if (Date.now() > deadline) {
      const state = names.map((n, i) => `${n}: ${replicaState(paths, n, held, statuses[i])}`);
      throw new LabError(
        `failed to reconcile the cluster at revision ${rev}: no controller leader did within ${timeoutMs / 1000} s (${state.join("; ")}; logs: ${controllersDir(paths)})`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function replicaState(paths: LabPaths, name: string, held: Set<string>, s: ControllerStatus | undefined): string {
  if (held.has(componentOf(name))) return "held down";
  if (!running(controllerRecord(paths, name))) return "not running";
  if (!s) return "never led";
  return s.error ? `last pass failed: ${s.error}` : `last pass as leader read revision ${s.revision}`;
}

/** controllerRecord is a replica's last start. */
export function controllerRecord(paths: LabPaths, name: string): DaemonRecord | undefined {
  return readRecords(controllersDir(paths))[name];
}

/** ensureControllers starts the replicas that are not running, unless held down (controller/N) or started less than a second ago. */
export async function ensureControllers(exec: Executor, paths: LabPaths, cfg: LabConfig, held: Set<string>): Promise<void> {
  for (const name of controllerNames(cfg)) {
    const r = controllerRecord(paths, name);
    if (held.has(componentOf(name)) || running(r) || startedWithin(r, 1_000)) continue;
    mkdirSync(controllersDir(paths), { recursive: true });
    const pid = await exec.daemon({
      argv: controllerArgv(paths, cfg, name),
      netns: underlayNetns(cfg.name),
      env: { NODE_EXTRA_CA_CERTS: undefined },
      logFile: join(controllersDir(paths), `${name}.log`),
    });
    // Its store location names this lab's state dir and its own certificate: no other process has it.
    recordStartIn(controllersDir(paths), name, pid, storeLocation(paths, cfg, name as `controller-${number}`));
  }
}

/** componentOf names a replica as `lab stop` does: controller-1 → controller/1. */
export function componentOf(name: string): string {
  return name.replace(/^controller-/, "controller/");
}
