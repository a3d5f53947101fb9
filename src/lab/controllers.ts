/**
 * The lab on etcd runs the cluster's controllers as two `podnet controller` replicas, as a cluster
 * runs kube-controller-manager: in the underlay namespace (they reach the members over it), each
 * with its own certificate, electing a leader on a Lease; the supervisor restarts a dead one and
 * `lab stop controller/N` holds one down. (`lab apply` still runs the same controllers in its own
 * transaction, so it can return once the change is complete; both write the same result.)
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Executor } from "../exec/types.js";
import { PODNET_BIN } from "./agents.js";
import type { LabConfig } from "./config.js";
import { type DaemonRecord, readRecords, recordStartIn, running, startedWithin } from "./daemons.js";
import { CONTROLLERS } from "./etcdmembers.js";
import { type LabPaths, underlayNetns } from "./layout.js";
import { storeLocation } from "./labstore.js";

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
  ];
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
