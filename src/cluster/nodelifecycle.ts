/**
 * Node lifecycle, as kube-controller-manager's node lifecycle controller does it with
 * kube-node-lease: a node whose agent heartbeats (annotation `podnet.io/heartbeat: lease`) is Ready
 * while its Lease `kube-node-lease/<node>` exists — the agent writes it under a datastore lease, so
 * it goes when the agent stops renewing. Without it the node's Ready turns Unknown and its pods'
 * Ready turns False (reason NodeNotReady), so EndpointSlices mark them not ready, the scheduler
 * skips the node and a centralized gateway moves. When the lease is back, both are restored.
 * Nodes without the annotation (the lab's embedded mode, where no agent heartbeats) are left alone.
 */
import type { Node, Pod } from "../model/types.js";
import type { Txn } from "../store/types.js";

/** HEARTBEAT_ANNOTATION marks a node whose readiness follows its agent's lease. */
export const HEARTBEAT_ANNOTATION = "podnet.io/heartbeat";

/** NODE_LEASE_NAMESPACE holds the nodes' Lease objects, as in Kubernetes. */
export const NODE_LEASE_NAMESPACE = "kube-node-lease";

type Condition = NonNullable<NonNullable<Pod["status"]>["conditions"]>[number];

function withReady(conds: Condition[] | undefined, c: Condition): Condition[] {
  return [...(conds ?? []).filter((x) => x.type !== "Ready"), c];
}

const readyOf = (conds: unknown[] | undefined) => (conds as Condition[] | undefined)?.find((c) => c.type === "Ready");

/** reconcileNodeLifecycle sets heartbeating nodes' Ready from their leases, and their pods' Ready with them. */
export function reconcileNodeLifecycle(tx: Txn, now = new Date()): void {
  const at = now.toISOString().replace(/\.\d+Z$/, "Z");
  for (const node of tx.list<Node>("Node")) {
    if (node.metadata.annotations?.[HEARTBEAT_ANNOTATION] !== "lease") continue;
    const alive = tx.get({ kind: "Lease", namespace: NODE_LEASE_NAMESPACE, name: node.metadata.name }) !== undefined;
    const was = readyOf(node.status?.conditions);
    const want: Condition = alive
      ? { type: "Ready", status: "True", reason: "AgentReady", message: "the podnet agent renews its lease" }
      : { type: "Ready", status: "Unknown", reason: "NodeStatusUnknown", message: "the podnet agent stopped renewing its lease" };
    // The reason too: a node registered Ready by someone else (the lab's kubelet) is Ready by its lease from now on.
    if (was?.status !== want.status || was?.reason !== want.reason) {
      const since = was?.status === want.status ? (was as { lastTransitionTime?: string }).lastTransitionTime : undefined;
      tx.put({
        ...node,
        status: {
          ...node.status,
          conditions: withReady(node.status?.conditions as Condition[], { ...want, lastTransitionTime: since ?? at }),
        },
      });
    }
    for (const pod of tx.list<Pod>("Pod")) {
      if (pod.spec.nodeName !== node.metadata.name || pod.status?.phase !== "Running") continue;
      const r = readyOf(pod.status.conditions);
      if (!alive && r?.status === "True")
        tx.put({
          ...pod,
          status: {
            ...pod.status,
            conditions: withReady(pod.status.conditions, {
              type: "Ready",
              status: "False",
              reason: "NodeNotReady",
              lastTransitionTime: at,
            }),
          },
        });
      if (alive && r?.status === "False" && r.reason === "NodeNotReady")
        tx.put({
          ...pod,
          status: {
            ...pod.status,
            conditions: withReady(pod.status.conditions, { type: "Ready", status: "True", lastTransitionTime: at }),
          },
        });
    }
  }
}
