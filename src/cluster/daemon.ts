/**
 * ControllerDaemon: `podnet controller` — the controllers `lab apply` runs in-process (node CIDRs,
 * LoadBalancer IPs, Deployments and scheduling, Subnet blocks, EndpointSlices, Deployment status)
 * and node lifecycle (a node whose agent's lease ran out is NotReady, its endpoints not ready)
 * as a daemon over a datastore. Replicas elect a leader; only the leader writes, on every change
 * it sees and every resync period, in one store transaction.
 */
import type { Elector } from "../store/election.js";
import type { Follower } from "../store/follow.js";
import type { Store } from "../store/types.js";
import { reconcileEndpointSlices } from "./endpointslice.js";
import { runControllers } from "./index.js";
import { updateDeploymentStatus } from "./deployment.js";
import { clusterConfigOf } from "./information.js";
import { reconcileNodeLifecycle } from "./nodelifecycle.js";

/** ControllerDaemon runs the controllers while it leads. */
export class ControllerDaemon {
  /** passes counts the reconcile passes this replica made as leader. */
  passes = 0;
  private lastError = "";

  constructor(
    private readonly store: Store,
    private readonly follower: Follower,
    private readonly elector: Elector,
    private readonly log: (line: string) => void,
    private readonly resyncMs = 10_000,
  ) {}

  /** run campaigns and reconciles until stop(). */
  async run(): Promise<void> {
    await this.elector.start();
    let last = 0;
    await this.follower.loop(async () => {
      const changed = this.follower.changed();
      if (changed) this.follower.read();
      if (!this.elector.leading || (!changed && Date.now() - last < this.resyncMs)) return;
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
    } catch (e) {
      const m = (e as Error).message;
      if (m !== this.lastError) this.log(m);
      this.lastError = m;
    }
  }

  /** stop leaves the election (handing over at once) and ends run(). */
  async stop(): Promise<void> {
    this.follower.stop();
    await this.elector.stop();
  }
}
