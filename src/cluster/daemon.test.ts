/**
 * A controller replica records, after each pass it makes as leader, the revision that pass read:
 * once it reaches a client's write, what the controllers make of that write is in the store (the
 * lab on etcd waits on it instead of running the controllers itself). A pass that fails keeps the
 * last good revision and says why.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Node, Pod } from "../model/types.js";
import { Elector } from "../store/election.js";
import { EmbeddedStore } from "../store/embedded.js";
import { openCluster } from "../store/open.js";
import { readJson } from "../util/jsonfile.js";
import { DEFAULT_CLUSTER } from "./config.js";
import { type ControllerStatus, ControllerDaemon } from "./daemon.js";
import { clusterInformation } from "./information.js";

const DEPLOYMENT = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default" },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "web" } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "e" }] } },
  },
};

/** until polls fn until it returns a value (a liveness bound, not a speed check). */
async function until<T>(what: string, fn: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("ControllerDaemon: the leader's status reaches a write's revision once its result is stored", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-controller-"));
  const statusFile = join(dir, "status.json");
  const file = join(dir, "store.json");
  await new EmbeddedStore(file).create((tx) => {
    tx.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
    tx.put(clusterInformation(DEFAULT_CLUSTER, "guid-1"));
  });
  const { ds, store, follower } = openCluster(file, () => {});
  const elector = new Elector(ds, { name: "podnet-controller", identity: "c1", ttlSeconds: 2, onChange: () => {} });
  const daemon = new ControllerDaemon(store, follower, elector, () => {}, { resyncMs: 60_000, statusFile });
  try {
    const running = daemon.run();
    const status = () => readJson<ControllerStatus>(statusFile);
    await until("a first pass", () => status());
    assert.equal(status()?.identity, "c1");

    await store.update((tx) => {
      tx.put({
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: "n1" },
        spec: {},
        status: { conditions: [{ type: "Ready", status: "True" }] },
      });
      tx.put(DEPLOYMENT);
    });
    const written = (store.lastRead ?? 0) + 1; // the update read at lastRead and wrote the next version
    const s = await until("a pass at the write", () => {
      const x = status();
      return x && x.revision >= written ? x : undefined;
    });
    assert.equal(s.error, undefined);
    const { node, pods } = await store.read((tx) => ({ node: tx.get<Node>({ kind: "Node", name: "n1" }), pods: tx.list<Pod>("Pod") }));
    assert.equal(node?.spec?.podCIDR, "10.244.0.0/24", "the new Node has its pod CIDR");
    assert.deepEqual(
      pods.map((p) => p.spec.nodeName),
      ["n1", "n1"],
      "the Deployment's pods exist and are scheduled",
    );

    // A pass that cannot read the cluster's layout fails, keeps the last good revision and says why.
    await store.update((tx) => tx.delete({ kind: "ClusterInformation", name: "default" }));
    const failed = await until("a failed pass", () => {
      const x = status();
      return x?.error ? x : undefined;
    });
    assert.match(failed.error ?? "", /failed to read the cluster's layout/);
    assert.equal(failed.revision, s.revision);
    await daemon.stop();
    await running;
  } finally {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
