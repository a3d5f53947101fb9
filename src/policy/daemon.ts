/**
 * `podnet policy`: a node's NetworkPolicy agent, as calico-felix or kube-router's policy controller:
 * it follows the cluster store, enforces the policies of the node's own pods (a pod or policy
 * change is a partial sync against what it last applied; every fullSyncPeriod, after a failed
 * sync, and when another agent put its jump above ours (checked every checkPeriod), it compares
 * against the kernel instead), and records each sync's store version in a status file that the
 * lab waits on.
 */
import { RealNodeKernel } from "../dataplane/index.js";
import type { Executor } from "../exec/types.js";
import { detectFlavour, type Flavour } from "../netfilter/index.js";
import { byKind, type Follower, type StoreSnapshot } from "../store/follow.js";
import { openFollower } from "../store/open.js";
import { writeJsonAtomic } from "../util/jsonfile.js";
import { clusterObjects, clusterView, type ResolvedPolicies } from "./cluster.js";
import { DeniedLog } from "./deniedlog.js";
import { PolicyEngine, type SyncResult } from "./engine.js";

/** PolicyDaemonOptions configure `podnet policy`. */
export interface PolicyDaemonOptions {
  node: string;
  storeFile: string;
  statusFile?: string;
  families: (4 | 6)[];
  iptables: Flavour | "auto";
  deny: "drop" | "reject";
  nflogGroup: number;
  /** deniedLog is where packets denied in namespaces that ask for it are logged (none: no NFLOG capture). */
  deniedLog?: string;
  fullSyncPeriodMs: number;
  /** checkPeriodMs is how often to check that our jumps are still first in FORWARD and INPUT. */
  checkPeriodMs: number;
  log: (line: string) => void;
}

/** PolicySyncRecord is one sync as the status file lists it. */
export interface PolicySyncRecord extends SyncResult {
  resourceVersion: number;
  at: string;
}

/** PolicyStatus is the status file's content. */
export interface PolicyStatus {
  pid: number;
  node: string;
  resourceVersion: number;
  error?: string;
  syncs: PolicySyncRecord[];
}

/** viewOf reads the policy view out of a store snapshot. */
export function viewOf(snap: StoreSnapshot, cache?: ResolvedPolicies) {
  return clusterView(
    clusterObjects((kind) => byKind(snap, kind)),
    cache,
  );
}

/** PolicyDaemon runs the policy agent's loop until stopped. */
export class PolicyDaemon {
  private engine!: PolicyEngine;
  private readonly store: Follower;
  private status: PolicyStatus;
  private snap: StoreSnapshot | undefined;
  private lastFull = 0;
  private lastCheck = Date.now();
  private failed = false;
  private readonly denied: DeniedLog | undefined;
  private readonly resolved: ResolvedPolicies = new Map();

  constructor(
    private readonly exec: Executor,
    private readonly opts: PolicyDaemonOptions,
  ) {
    this.store = openFollower(opts.storeFile, opts.log);
    this.status = { pid: process.pid, node: opts.node, resourceVersion: 0, syncs: [] };
    if (opts.deniedLog) this.denied = new DeniedLog(exec, opts.nflogGroup, opts.deniedLog, opts.log);
  }

  /** start runs the first (full) sync; it throws if that fails. */
  async start(): Promise<void> {
    // A datastore lists every kind first (a store file has nothing to wait for).
    await this.store.open();
    const flavour = this.opts.iptables === "auto" ? await detectFlavour(this.exec, null) : this.opts.iptables;
    this.engine = new PolicyEngine(new RealNodeKernel(this.exec, null, flavour), this.opts);
    await this.syncOnce();
    this.denied?.start();
  }

  /** run syncs on every store change until stop(). */
  async run(): Promise<void> {
    try {
      await this.store.loop(() => this.syncOnce().catch((e: Error) => this.fail(e)));
    } finally {
      this.denied?.stop();
    }
  }

  /** stop ends run() after the current sync. */
  stop(): void {
    this.store.stop();
  }

  private async syncOnce(): Promise<void> {
    const next = this.store.readIfChanged();
    let full = this.failed || Date.now() - this.lastFull >= this.opts.fullSyncPeriodMs;
    if (!full && Date.now() - this.lastCheck >= this.opts.checkPeriodMs) {
      this.lastCheck = Date.now();
      if (!(await this.engine.jumpsFirst())) {
        this.opts.log("a policy jump is no longer first in its chain; restoring it");
        full = true;
      }
    }
    if (!next && !full) return;
    if (next) this.snap = next;
    if (!this.snap) return this.writeStatus();
    const view = viewOf(this.snap, this.resolved);
    if (this.denied && next) this.denied.names = new Map(view.pods.flatMap((p) => p.ips.map((ip) => [ip, `${p.namespace}/${p.name}`])));
    const r = await this.engine.sync(view, full);
    this.failed = false;
    if (r.full) this.lastFull = Date.now();
    const rv = this.snap.resourceVersion;
    if (r.changes > 0) {
      this.opts.log(
        `sync ${r.full ? "full" : "partial"}: ${r.changes} changes, compute ${r.computeMs.toFixed(1)} ms, apply ${r.applyMs.toFixed(1)} ms`,
      );
      this.status.syncs = [...this.status.syncs.slice(-49), { ...r, resourceVersion: rv, at: new Date().toISOString() }];
    }
    this.status.resourceVersion = rv;
    this.writeStatus();
  }

  private fail(e: Error): void {
    this.failed = true;
    this.opts.log(e.message);
    this.status.error = e.message;
    if (this.opts.statusFile) writeJsonAtomic(this.opts.statusFile, this.status);
  }

  private writeStatus(): void {
    if (this.store.error) this.status.error = this.store.error.message;
    else delete this.status.error;
    if (this.opts.statusFile) writeJsonAtomic(this.opts.statusFile, this.status);
  }
}
