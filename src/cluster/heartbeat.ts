/**
 * NodeHeartbeat: an agent's liveness in the datastore, as the kubelet's node lease — the Lease
 * `kube-node-lease/<node>` written under a datastore lease the agent keeps alive, and the node
 * annotated so the node lifecycle controller follows it. If the object went (a stall longer than
 * the TTL), the next check writes it again under a fresh lease.
 */
import type { KubeObject, Node } from "../model/types.js";
import { type Datastore, DatastoreError, type Lease } from "../store/datastore.js";
import { HEARTBEAT_ANNOTATION, NODE_LEASE_NAMESPACE } from "./nodelifecycle.js";

/** NodeHeartbeat keeps one node's lease alive. */
export class NodeHeartbeat {
  private lease: Lease | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ds: Datastore,
    readonly node: string,
    private readonly ttlSeconds: number,
    private readonly log: (line: string) => void = () => {},
  ) {}

  private key() {
    return { kind: "Lease", namespace: NODE_LEASE_NAMESPACE, name: this.node };
  }

  /** start annotates the node, writes its lease object and checks it every half TTL. */
  async start(): Promise<void> {
    await this.annotate();
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch((e: Error) => this.log(e.message)), (this.ttlSeconds * 1000) / 2);
  }

  private async annotate(): Promise<void> {
    for (;;) {
      const n = await this.ds.get<Node>({ kind: "Node", name: this.node });
      if (!n) throw new DatastoreError("NotFound", "annotate", `Node "${this.node}"`, "it does not exist");
      if (n.metadata.annotations?.[HEARTBEAT_ANNOTATION] === "lease") return;
      try {
        await this.ds.update({
          ...n,
          metadata: { ...n.metadata, annotations: { ...n.metadata.annotations, [HEARTBEAT_ANNOTATION]: "lease" } },
        });
        return;
      } catch (e) {
        if (!(e instanceof DatastoreError && e.reason === "Conflict")) throw e;
      }
    }
  }

  /** beat writes the lease object if it is missing (the first time, or after the lease ran out). */
  private async beat(): Promise<void> {
    if (this.lease && (await this.ds.get(this.key()))) return;
    this.lease = await this.ds.grantLease(this.ttlSeconds, true);
    const obj = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: this.node, namespace: NODE_LEASE_NAMESPACE },
      spec: { holderIdentity: this.node, leaseDurationSeconds: this.ttlSeconds, renewTime: new Date().toISOString() },
    } as KubeObject;
    try {
      await this.ds.create(obj, { lease: this.lease });
    } catch (e) {
      if (!(e instanceof DatastoreError && e.reason === "AlreadyExists")) throw e;
      // Left by this node's previous agent, under its lease: take it over.
      await this.ds.update(obj, { lease: this.lease });
    }
  }

  /** stop ends the heartbeat: with revoke the node turns NotReady now, without it when the TTL runs out (a restart within it goes unnoticed). */
  async stop(revoke = false): Promise<void> {
    clearInterval(this.timer);
    if (revoke) await this.lease?.revoke().catch(() => {});
    else this.lease?.release();
  }
}
