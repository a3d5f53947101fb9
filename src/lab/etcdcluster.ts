/**
 * Running the lab's etcd cluster (see etcdmembers.ts for its layout): each member's namespace on
 * the underlay, its process, its health. A member's starts are recorded as the node daemons' are,
 * so `lab status` counts restarts and the supervisor starts a dead member again.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Executor } from "../exec/types.js";
import { createNetns, IpTransaction, RealIpNode } from "../iproute/index.js";
import { openEtcd } from "../store/open.js";
import type { EtcdDatastore } from "../store/etcd.js";
import { derivedMac } from "../util/mac.js";
import { readRecords, recordStartIn, running, startedWithin } from "./daemons.js";
import type { LabConfig } from "./config.js";
import { enableAuth } from "./etcdauth.js";
import { certSpecs, type EtcdMember, etcdDir, etcdLocation, memberArgv, memberMarker, memberSocket, pkiDir } from "./etcdmembers.js";
import { makePki } from "./pki.js";
import { LabError, type LabPaths, underlayNetns } from "./layout.js";
import { underlayHostTransaction, uplinkTransaction } from "./topology.js";

/** buildMember creates a member's namespace and plugs it into the underlay (port eN). */
export async function buildMember(exec: Executor, lab: string, m: EtcdMember): Promise<void> {
  await createNetns(exec, m.netns);
  await new RealIpNode(exec, underlayNetns(lab)).apply(uplinkTransaction(`e${m.index}`, m.netns, derivedMac(`podnet-etcd/${m.netns}`)));
  await new RealIpNode(exec, m.netns).apply(underlayHostTransaction(m.ip));
}

/** unplugMember removes a member's underlay port (its namespace goes with the lab's). */
export async function unplugMember(exec: Executor, lab: string, m: EtcdMember): Promise<void> {
  await new RealIpNode(exec, underlayNetns(lab)).apply(new IpTransaction().delLink(`e${m.index}`));
}

/** startMember starts a member's etcd (it joins, or with its data dir rejoins, the cluster) and records the start. */
export async function startMember(exec: Executor, paths: LabPaths, members: EtcdMember[], m: EtcdMember): Promise<number> {
  mkdirSync(join(etcdDir(paths), m.name), { recursive: true, mode: 0o700 });
  // A killed member leaves its socket behind, and etcd will not listen on a path that exists.
  rmSync(memberSocket(paths, m), { force: true });
  const pid = await exec.daemon({
    argv: memberArgv(paths, paths.lab, members, m),
    netns: m.netns,
    cwd: etcdDir(paths),
    logFile: join(etcdDir(paths), `${m.name}.log`),
  });
  recordStartIn(etcdDir(paths), m.name, pid, memberMarker(paths, m));
  return pid;
}

/** memberRunning says whether a member's process runs (not whether it is healthy). */
export function memberRunning(paths: LabPaths, m: EtcdMember): { pid: number | undefined; running: boolean; starts: number } {
  const r = readRecords(etcdDir(paths))[m.name];
  return { pid: r?.pid, running: running(r), starts: r?.starts ?? 0 };
}

/** ensureMembers starts the members whose process died, unless held down (`lab stop etcd-2`) or started less than a second ago (one that cannot start is not started in a tight loop). */
export async function ensureMembers(exec: Executor, paths: LabPaths, members: EtcdMember[], held: Set<string>): Promise<string[]> {
  const records = readRecords(etcdDir(paths));
  const dead = members.filter((m) => !held.has(m.name) && !running(records[m.name]) && !startedWithin(records[m.name], 1_000));
  for (const m of dead) await startMember(exec, paths, members, m);
  return dead.map((m) => m.name);
}

/** memberClient opens etcd through one member's unix socket, or all of theirs, as the lab's admin. */
export function memberClient(paths: LabPaths, members: EtcdMember[], dialTimeoutMs?: number): EtcdDatastore {
  return openEtcd(etcdLocation(paths, members, "admin", "socket"), dialTimeoutMs);
}

/** memberHealthy says whether one member answers a read within a second. */
export async function memberHealthy(paths: LabPaths, m: EtcdMember): Promise<boolean> {
  const ds = memberClient(paths, [m], 1_000);
  try {
    await ds.revision();
    return true;
  } catch {
    return false;
  } finally {
    await ds.close();
  }
}

/** waitForQuorum waits until the cluster answers a read through any member, or fails naming the members' logs. */
export async function waitForQuorum(paths: LabPaths, members: EtcdMember[], timeoutMs = 30_000): Promise<void> {
  const ds = memberClient(paths, members, 1_000);
  const t0 = Date.now();
  try {
    for (;;) {
      try {
        await ds.revision();
        return;
      } catch (e) {
        if (Date.now() - t0 > timeoutMs)
          throw new LabError(
            `failed to start etcd "${members.map((m) => m.name).join(",")}": no answer within ${timeoutMs / 1000} s (${(e as Error).message}); see ${join(etcdDir(paths), "etcd-N.log")}`,
          );
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    await ds.close();
  }
}

/** startEtcd makes the lab's PKI, then builds and starts every member, and waits for a quorum. */
export async function startEtcd(exec: Executor, paths: LabPaths, cfg: LabConfig): Promise<void> {
  const members = cfg.datastore?.members ?? [];
  await makePki(exec, pkiDir(paths), certSpecs(members, cfg.nodes));
  await Promise.all(members.map((m) => buildMember(exec, paths.lab, m)));
  for (const m of members) await startMember(exec, paths, members, m);
  await waitForQuorum(paths, members);
  await enableAuth(exec, paths, cfg);
}
