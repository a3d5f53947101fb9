/** The shared datastore cases on a real etcd (started on loopback ports), and etcd's compaction as Gone. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RealExecutor } from "../exec/real.js";
import type { KubeObject } from "../model/types.js";
import { datastoreSuite } from "../store/datastore.suite.js";
import { EtcdDatastore } from "../store/etcd.js";
import { startTestEtcd, type TestEtcd } from "./etcd.js";

let etcd: TestEtcd | undefined;
before(async () => {
  etcd = await startTestEtcd(new RealExecutor());
});
after(async () => {
  await etcd?.stop();
});
datastoreSuite("etcd", async () => {
  const e = etcd as TestEtcd;
  await e.wipe();
  return { ds: new EtcdDatastore({ endpoints: [e.endpoint] }), done: async () => {} };
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
