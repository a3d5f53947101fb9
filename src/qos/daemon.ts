/**
 * `podnet qos`: a node's QoS and mirroring agent, as kube-ovn's per-node daemon does it with tc.
 * It follows the cluster store; on each change (and every resync period, for pods whose veth
 * appeared since, and for drift) it syncs the node's pods (sync.ts) and records what each pod
 * has — or why its annotations were not taken — in a status file the lab reads and waits on.
 */
import { RealNodeKernel } from "../dataplane/index.js";
import type { Executor } from "../exec/types.js";
import type { KubeObject, Pod } from "../model/types.js";
import { byKind, type Follower, type StoreSnapshot } from "../store/follow.js";
import { openFollower } from "../store/open.js";
import { writeJsonAtomic } from "../util/jsonfile.js";
import type { PodQos } from "./plan.js";
import { type PodQosStatus, syncQos } from "./sync.js";

/** QosDaemonOptions configure `podnet qos`. */
export interface QosDaemonOptions {
  node: string;
  storeFile: string;
  statusFile?: string;
  /** mirrorIface is the mirror interface when mirroring is enabled on the node. */
  mirrorIface?: string;
  resyncPeriodMs: number;
  log: (line: string) => void;
}

/** QosStatus is the status file's content. */
export interface QosStatus {
  pid: number;
  node: string;
  resourceVersion: number;
  error?: string;
  mirrorIface?: string;
  pods: Record<string, PodQosStatus>;
  syncs: { resourceVersion: number; at: string; changes: number; ms: number }[];
}

const done = (p: Pod) => p.status?.phase === "Failed" || p.status?.phase === "Succeeded";

/** QosDaemon runs the QoS agent's loop until stopped. */
export class QosDaemon {
  private readonly kernel: RealNodeKernel;
  private readonly store: Follower;
  private readonly status: QosStatus;
  private snap: StoreSnapshot | undefined;
  private enforced = new Map<string, PodQos>();
  private lastSync = 0;

  constructor(
    exec: Executor,
    private readonly opts: QosDaemonOptions,
  ) {
    this.kernel = new RealNodeKernel(exec, null, "system");
    this.store = openFollower(opts.storeFile, opts.log);
    this.status = {
      pid: process.pid,
      node: opts.node,
      resourceVersion: 0,
      ...(opts.mirrorIface ? { mirrorIface: opts.mirrorIface } : {}),
      pods: {},
      syncs: [],
    };
  }

  /** start runs the first sync; it throws if that fails. */
  async start(): Promise<void> {
    // A datastore lists every kind first (a store file has nothing to wait for).
    await this.store.open();
    await this.tick();
  }

  /** run syncs on every store change and every resync period until stop(). */
  async run(): Promise<void> {
    await this.store.loop(() =>
      this.tick().catch((e: Error) => {
        this.opts.log(e.message);
        this.status.error = e.message;
        this.writeStatus();
      }),
    );
  }

  /** stop ends run() after the current sync. */
  stop(): void {
    this.store.stop();
  }

  private async tick(): Promise<void> {
    const next = this.store.readIfChanged();
    if (next) this.snap = next;
    else if (Date.now() - this.lastSync < this.opts.resyncPeriodMs) return;
    this.lastSync = Date.now();
    if (this.snap) await this.sync(this.snap);
    this.writeStatus();
  }

  /** sync makes the kernel enforce the snapshot's pods of this node. */
  private async sync(snap: StoreSnapshot): Promise<void> {
    const t0 = performance.now();
    const namespaces = new Map(byKind<KubeObject>(snap, "Namespace").map((n) => [n.metadata.name, n]));
    const pods = byKind<Pod>(snap, "Pod").filter((p) => p.spec.nodeName === this.opts.node && !done(p));
    const r = await syncQos(this.kernel, { pods, namespaces, enforced: this.enforced, mirrorIface: this.opts.mirrorIface });
    this.enforced = r.enforced;
    this.status.pods = r.pods;
    this.status.resourceVersion = snap.resourceVersion;
    delete this.status.error;
    const changes = r.applied.reduce((n, tx) => n + tx.size, 0);
    if (changes > 0) {
      const ms = performance.now() - t0;
      this.opts.log(`sync: ${changes} changes in ${ms.toFixed(1)} ms`);
      this.status.syncs = [
        ...this.status.syncs.slice(-49),
        { resourceVersion: snap.resourceVersion, at: new Date().toISOString(), changes, ms },
      ];
    }
  }

  private writeStatus(): void {
    if (this.store.error) this.status.error = this.store.error.message;
    if (this.opts.statusFile) writeJsonAtomic(this.opts.statusFile, this.status);
  }
}
