/** The shared datastore cases on a real etcd (started on loopback ports), and etcd's compaction as Gone. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RealExecutor } from "../exec/real.js";
import { DEFAULT_CLUSTER, runControllers } from "../cluster/index.js";
import { clusterInformation } from "../cluster/information.js";
import { nodeLifecycleSuite } from "../cluster/nodelifecycle.suite.js";
import type { KubeObject, Node, Pod } from "../model/types.js";
import { electionSuite } from "../store/election.suite.js";
import { datastoreSuite } from "../store/datastore.suite.js";
import { DatastoreFollower } from "../store/informer.js";
import { informerSuite, services, until } from "../store/informer.suite.js";
import { EtcdDatastore } from "../store/etcd.js";
import { EtcdStore } from "../store/etcd-store.js";
import { storeSuite } from "../store/store.suite.js";
import { startTestEtcd, type TestEtcd, webDeployment } from "./etcd.js";

let etcd: TestEtcd | undefined;
before(async () => {
  etcd = await startTestEtcd(new RealExecutor());
});
after(async () => {
  await etcd?.stop();
});
async function fresh() {
  const e = etcd as TestEtcd;
  await e.wipe();
  return { ds: new EtcdDatastore({ endpoints: [e.endpoint] }), done: async () => {} };
}

datastoreSuite("etcd", fresh);
informerSuite("etcd", fresh);
electionSuite("etcd", fresh);
nodeLifecycleSuite("etcd", async () => {
  const { ds, done } = await fresh();
  return { ds, store: new EtcdStore(ds), done };
});
storeSuite("etcd", async () => {
  const e = etcd as TestEtcd;
  await e.wipe();
  const clients: EtcdDatastore[] = [];
  const client = () => {
    const ds = new EtcdDatastore({ endpoints: [e.endpoint] });
    clients.push(ds);
    return new EtcdStore(ds);
  };
  return { store: client(), again: client, done: async () => void (await Promise.all(clients.map((c) => c.close()))) };
});

test("etcd: a watch from a compacted version is Gone (the watcher re-lists)", async () => {
  const e = etcd as TestEtcd;
  await e.wipe();
  const ds = new EtcdDatastore({ endpoints: [e.endpoint] });
  try {
    const old = (await ds.list("Node")).resourceVersion;
    for (const n of ["a", "b"]) await ds.create({ apiVersion: "v1", kind: "Node", metadata: { name: n } } as KubeObject);
    const now = (await ds.list("Node")).resourceVersion;
    await new RealExecutor().run({ argv: ["etcdctl", "--endpoints", e.endpoint, "compact", now], netns: null, env: { ETCDCTL_API: "3" } });
    const reason = await new Promise<string>((resolve) => {
      const w = ds.watch(
        "Node",
        old,
        () => {},
        (err) => {
          w.stop();
          resolve(`${err.reason}: ${err.message}`);
        },
      );
    });
    assert.match(reason, /^Gone: /);
  } finally {
    await ds.close();
  }
});

test(
  "etcd: a follower rides out an outage — it keeps its snapshot while etcd is down and follows again, without restarting, once it is back",
  { timeout: 90_000 },
  async () => {
    const e = etcd as TestEtcd;
    await e.wipe();
    const ds = new EtcdDatastore({ endpoints: [e.endpoint] });
    const f = new DatastoreFollower(ds, () => {});
    try {
      await ds.create(clusterInformation(DEFAULT_CLUSTER, "test"));
      await ds.create({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "a", namespace: "default" },
        spec: { ports: [{ port: 80 }] },
      } as KubeObject);
      await f.open();
      assert.deepEqual(services(f), ["a:80"]);
      await e.pause();
      await new Promise((r) => setTimeout(r, 3_000));
      assert.deepEqual(services(f), ["a:80"], "the last snapshot stands while etcd is down");
      await e.resume();
      await ds.create({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "b", namespace: "default" },
        spec: { ports: [{ port: 81 }] },
      } as KubeObject);
      await until("b after the outage", () => JSON.stringify(services(f)) === JSON.stringify(["a:80", "b:81"]), 30_000);
    } finally {
      f.stop();
      await ds.close();
    }
  },
);

test("etcd: the controllers run over EtcdStore as over the embedded store — node CIDRs, a Deployment's pods scheduled, scaled down in one transaction", async () => {
  const e = etcd as TestEtcd;
  await e.wipe();
  const ds = new EtcdDatastore({ endpoints: [e.endpoint] });
  const store = new EtcdStore(ds, [{ kind: "Namespace", name: "default" }]);
  try {
    await assert.rejects(
      store.read((tx) => tx.list("Pod")),
      /holds no Namespace "default"/,
      "an empty etcd is not an empty cluster",
    );
    await ds.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } } as KubeObject);
    await store.update((tx) => {
      for (const n of ["node-1", "node-2"]) tx.put({ apiVersion: "v1", kind: "Node", metadata: { name: n }, spec: {} } as KubeObject);
      tx.put(webDeployment(4));
      runControllers(tx, DEFAULT_CLUSTER);
    });
    const nodes = await ds.list<Node>("Node");
    assert.deepEqual(nodes.items.map((n) => n.spec.podCIDR).sort(), ["10.244.0.0/24", "10.244.1.0/24"]);
    const pods = await ds.list<Pod>("Pod");
    assert.equal(pods.items.length, 4);
    assert.ok(
      pods.items.every((p) => p.spec.nodeName),
      "every pod is scheduled",
    );
    assert.equal(new Set(pods.items.map((p) => p.metadata.resourceVersion)).size, 1, "one transaction, one revision");
    await store.update((tx) => {
      tx.put(webDeployment(2));
      runControllers(tx, DEFAULT_CLUSTER);
    });
    assert.equal((await ds.list("Pod")).items.length, 2);
  } finally {
    await ds.close();
  }
});

test("etcd: values written around podnet (not an object, or not the key's) are skipped by get, list, watch and snapshot", async () => {
  const e = etcd as TestEtcd;
  await e.wipe();
  const ds = new EtcdDatastore({ endpoints: [e.endpoint] });
  try {
    const good = await ds.create({ apiVersion: "v1", kind: "Node", metadata: { name: "good" } } as KubeObject);
    const seen: string[] = [];
    const w = ds.watch(
      "Node",
      good.metadata.resourceVersion ?? "0",
      (ev) => seen.push(ev.object.metadata.name),
      () => {},
    );
    await e.ctl(["put", "/podnet/v1/core/Node/_/junk", "x"]);
    await e.ctl(["put", "/podnet/v1/core/Node/_/empty", "{}"]);
    await e.ctl(["put", "/podnet/v1/core/Node/_/other", JSON.stringify({ kind: "Node", metadata: { name: "good" } })]);
    await ds.create({ apiVersion: "v1", kind: "Node", metadata: { name: "after" } } as KubeObject);
    await until("the watch to pass the bad values", () => seen.includes("after"));
    assert.deepEqual(seen, ["after"], "the watch delivered only the valid object");
    assert.deepEqual((await ds.list("Node")).items.map((n) => n.metadata.name).sort(), ["after", "good"]);
    assert.equal(await ds.get({ kind: "Node", name: "junk" }), undefined);
    assert.deepEqual(Object.keys((await ds.snapshot()).objects).sort(), ["Node//after", "Node//good"]);
    w.stop();
  } finally {
    await ds.close();
  }
});
