/**
 * The per-node daemons the lab keeps running (the proxy, the policy agent, the CNI agent; BIRD in bgp mode): each
 * start is recorded with its PID, so `lab status` shows whether a daemon runs now and how often
 * it has been started again after dying (the next reconcile restarts a dead one).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pidLooksLike } from "../util/proc.js";
import type { LabPaths } from "./layout.js";

/** DaemonName names a per-node daemon. */
export type DaemonName = "proxy" | "policy" | "qos" | "cni-agent" | "agent";

/** DaemonRecord is a daemon's last start and how many starts there were. */
export interface DaemonRecord {
  pid: number;
  starts: number;
  /** marker is a string of its command line, to tell it from a process that reused its PID. */
  marker: string;
  startedAt: string;
}

function file(paths: LabPaths, node: string): string {
  return join(paths.nodeDir(node), "daemons.json");
}

/** readDaemons reads a node's daemon records. */
export function readDaemons(paths: LabPaths, node: string): Partial<Record<DaemonName, DaemonRecord>> {
  try {
    return JSON.parse(readFileSync(file(paths, node), "utf8")) as Partial<Record<DaemonName, DaemonRecord>>;
  } catch {
    return {};
  }
}

/** recordStart notes that a node's daemon was (re)started with this PID. */
export function recordStart(paths: LabPaths, node: string, name: DaemonName, pid: number, marker: string): void {
  const all = readDaemons(paths, node);
  all[name] = { pid, marker, starts: (all[name]?.starts ?? 0) + 1, startedAt: new Date().toISOString() };
  mkdirSync(paths.nodeDir(node), { recursive: true });
  writeFileSync(file(paths, node), JSON.stringify(all));
}

/** daemonState describes one daemon for `lab status`: running or dead, its PID, its restarts. */
export function daemonState(name: string, r: DaemonRecord | undefined): string {
  if (!r) return `${name} never started`;
  const restarts = r.starts > 1 ? `, restarted ${r.starts - 1}×` : "";
  return `${name} ${pidLooksLike(r.pid, r.marker) ? "running" : "DEAD"} (pid ${r.pid}${restarts})`;
}
