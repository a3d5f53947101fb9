/**
 * The per-node daemons the lab keeps running (the proxy, the policy agent, the CNI agent; BIRD in bgp mode): each
 * start is recorded with its PID, so `lab status` shows whether a daemon runs now and how often
 * it has been started again after dying (the next reconcile restarts a dead one).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pidLooksLike } from "../util/proc.js";
import type { LabConfig } from "./config.js";
import type { LabPaths } from "./layout.js";

/** DaemonName names a per-node daemon. */
export type DaemonName = "proxy" | "policy" | "qos" | "cni-agent" | "agent";

/** nodeDaemons are the daemons that run as processes of their own on every node: the node agent hosts the proxy and the CNI socket. */
export function nodeDaemons(cfg: LabConfig): DaemonName[] {
  return cfg.nodeAgent ? ["agent", "policy", "qos"] : ["proxy", "policy", "qos", "cni-agent"];
}

/** DaemonRecord is a daemon's last start and how many starts there were. */
export interface DaemonRecord {
  pid: number;
  starts: number;
  /** marker is a string of its command line, to tell it from a process that reused its PID. */
  marker: string;
  startedAt: string;
}

/** readRecords reads the daemon records a directory keeps (daemons.json). */
export function readRecords(dir: string): Record<string, DaemonRecord | undefined> {
  try {
    return JSON.parse(readFileSync(join(dir, "daemons.json"), "utf8")) as Record<string, DaemonRecord>;
  } catch {
    return {};
  }
}

/** recordStartIn notes in a directory's records that a daemon was (re)started with this PID. */
export function recordStartIn(dir: string, name: string, pid: number, marker: string): void {
  const all = readRecords(dir);
  all[name] = { pid, marker, starts: (all[name]?.starts ?? 0) + 1, startedAt: new Date().toISOString() };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "daemons.json"), JSON.stringify(all));
}

/** readDaemons reads a node's daemon records. */
export function readDaemons(paths: LabPaths, node: string): Partial<Record<DaemonName, DaemonRecord>> {
  return readRecords(paths.nodeDir(node));
}

/** recordStart notes that a node's daemon was (re)started with this PID. */
export function recordStart(paths: LabPaths, node: string, name: DaemonName, pid: number, marker: string): void {
  recordStartIn(paths.nodeDir(node), name, pid, marker);
}

/** startedWithin says whether a daemon's last start is less than ms old: one that cannot start is not started again in a tight loop. */
export function startedWithin(r: DaemonRecord | undefined, ms: number): boolean {
  return Date.now() - Date.parse(r?.startedAt ?? "") < ms;
}

/** running says whether a recorded daemon still runs (its PID, with its command line). */
export function running(r: DaemonRecord | undefined): boolean {
  return r !== undefined && pidLooksLike(r.pid, r.marker);
}

/** daemonState describes one daemon for `lab status`: running or dead, its PID, its restarts. */
export function daemonState(name: string, r: DaemonRecord | undefined): string {
  if (!r) return `${name} never started`;
  const restarts = r.starts > 1 ? `, restarted ${r.starts - 1}×` : "";
  return `${name} ${running(r) ? "running" : "DEAD"} (pid ${r.pid}${restarts})`;
}
