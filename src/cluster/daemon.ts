/**
 * ControllerDaemon: `podnet controller` — the controllers `lab apply` runs in-process (node CIDRs,
 * LoadBalancer IPs, Deployments and scheduling, Subnet blocks, EndpointSlices, Deployment status)
 * and node lifecycle (a node whose agent's lease ran out is NotReady, its endpoints not ready)
 * as a daemon over a datastore. Replicas elect a leader; only the leader writes, on every change
 * it sees and every resync period, in one store transaction. After each pass it records the
 * revision that pass read the cluster at (its status file), so a client that wrote at revision R
 * knows the controllers have acted on its write once the leader's recorded revision reaches R.
 */
import type { Elector } from "../store/election.js";
import type { Follower } from "../store/follow.js";
import type { Store } from "../store/types.js";
import { writeJsonAtomic } from "../util/jsonfile.js";
import { reconcileEndpointSlices } from "./endpointslice.js";
import { runControllers } from "./index.js";
import { updateDeploymentStatus } from "./deployment.js";
import { clusterConfigOf } from "./information.js";
import { reconcileNodeLifecycle } from "./nodelifecycle.js";

/** ControllerStatus is what a replica records after each pass it makes as leader. */
export interface ControllerStatus {
  pid: number;
  identity: string;
  /** revision is the store revision the last successful pass read: every write up to it was reconciled. */
  revision: number;
  passes: number;
  /** error is the last pass's failure, if it failed. */
  error?: string;
}

/** ControllerDaemonOptions tune a replica. */
export interface ControllerDaemonOptions {
  /** resyncMs is how often the leader reconciles without a change. */
  resyncMs?: number;
  /** statusFile is where the replica records its ControllerStatus. */
  statusFile?: string;
}

/** ControllerDaemon runs the controllers while it leads. */
export class ControllerDaemon {
  /** passes counts the reconcile passes this replica made as leader. */
  passes = 0;
  /** revision is the store revision this replica's last successful pass read. */
  revision = 0;
  private lastError = "";

  constructor(
    private readonly store: Store,
    private readonly follower: Follower,
    private readonly elector: Elector,
    private readonly log: (line: string) => void,
    private readonly opts: ControllerDaemonOptions = {},
  ) {}

  /** run campaigns and reconciles until stop(). */
  async run(): Promise<void> {
    await this.elector.start();
    let last = 0;
    await this.follower.loop(async () => {
      const changed = this.follower.changed();
      if (changed) this.follower.read();
      if (!this.elector.leading || (!changed && Date.now() - last < (this.opts.resyncMs ?? 10_000))) return;
      last = Date.now();
      await this.pass();
    }, 200);
  }

  /** pass runs every controller once in one transaction. */
  async pass(): Promise<void> {
    try {
      await this.store.update((tx) => {
        const cfg = clusterConfigOf(tx);
        reconcileNodeLifecycle(tx);
        runControllers(tx, cfg);
        reconcileEndpointSlices(tx);
        updateDeploymentStatus(tx);
      });
      this.passes++;
      this.lastError = "";
      this.revision = this.store.lastRead ?? this.revision;
    } catch (e) {
      const m = (e as Error).message;
      if (m !== this.lastError) this.log(m);
      this.lastError = m;
    }
    this.writeStatus();
  }

  private writeStatus(): void {
    if (!this.opts.statusFile) return;
    const s: ControllerStatus = {
      pid: process.pid,
      identity: this.elector.identity,
      revision: this.revision,
      passes: this.passes,
      ...(this.lastError ? { error: this.lastError } : {}),
    };
    writeJsonAtomic(this.opts.statusFile, s);
  }

  /** stop leaves the election (handing over at once) and ends run(). */
  async stop(): Promise<void> {
    this.follower.stop();
    await this.elector.stop();
  }
}
