/** The shared datastore cases on the embedded file store (src/lab/etcd.test.ts runs them on etcd), and the etcd key layout. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { datastoreSuite } from "./datastore.suite.js";
import { EmbeddedStore } from "./embedded.js";
import { EmbeddedDatastore } from "./embedded-ds.js";
import { etcdKey, parseEtcdKey } from "./etcdkeys.js";
import { electionSuite } from "./election.suite.js";
import { informerSuite } from "./informer.suite.js";
import type { ObjectKey } from "./types.js";

async function embedded() {
  const dir = mkdtempSync(join(tmpdir(), "podnet-ds-"));
  const store = new EmbeddedStore(join(dir, "store.json"));
  await store.create(() => {});
  return { ds: new EmbeddedDatastore(store), done: async () => rmSync(dir, { recursive: true, force: true }) };
}

datastoreSuite("embedded", embedded);
informerSuite("embedded", embedded);
electionSuite("embedded", embedded);

test("etcd keys: /podnet/v1/<group>/<kind>/<namespace>/<name>, `_` for cluster-scoped objects", () => {
  const cases: [ObjectKey, string][] = [
    [{ kind: "Pod", namespace: "default", name: "a" }, "/podnet/v1/core/Pod/default/a"],
    [{ kind: "Node", name: "node-1" }, "/podnet/v1/core/Node/_/node-1"],
    [{ kind: "Deployment", namespace: "x", name: "web" }, "/podnet/v1/apps/Deployment/x/web"],
    [{ kind: "Subnet", name: "s" }, "/podnet/v1/podnet.io/Subnet/_/s"],
  ];
  for (const [k, want] of cases) {
    assert.equal(etcdKey(k), want);
    assert.deepEqual(parseEtcdKey(want), k);
  }
  assert.equal(parseEtcdKey("/podnet/v1/apps/Pod/default/a"), undefined, "a kind under another group's prefix");
  assert.equal(parseEtcdKey("/other/x"), undefined);
});
