/** Node lifecycle on the embedded store (src/lab/etcd.test.ts runs the same case on etcd). */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Node } from "../model/types.js";
import { emptyData, MemoryTxn } from "../store/memory.js";
import { EmbeddedStore } from "../store/embedded.js";
import { EmbeddedDatastore } from "../store/embedded-ds.js";
import { HEARTBEAT_ANNOTATION, NODE_LEASE_NAMESPACE, reconcileNodeLifecycle } from "./nodelifecycle.js";
import { nodeLifecycleSuite } from "./nodelifecycle.suite.js";

nodeLifecycleSuite("embedded", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-lifecycle-"));
  const store = new EmbeddedStore(join(dir, "store.json"));
  await store.create(() => {});
  return { ds: new EmbeddedDatastore(store), store, done: async () => rmSync(dir, { recursive: true, force: true }) };
});

test("a node registered Ready by the lab's kubelet is Ready by its agent's lease once it heartbeats, keeping its transition time", () => {
  const data = emptyData();
  const tx = new MemoryTxn(data);
  const since = "2026-12-01T00:00:00Z";
  tx.put({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "node-1", annotations: { [HEARTBEAT_ANNOTATION]: "lease" } },
    spec: {},
    status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", lastTransitionTime: since }] },
  } as Node);
  tx.put({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "node-1", namespace: NODE_LEASE_NAMESPACE } } as never);
  reconcileNodeLifecycle(tx);
  const ready = (tx.get<Node>({ kind: "Node", name: "node-1" })?.status?.conditions as { reason: string; lastTransitionTime: string }[])[0];
  assert.deepEqual([ready?.reason, ready?.lastTransitionTime], ["AgentReady", since]);
});
