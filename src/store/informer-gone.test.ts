/**
 * A watch found compacted (Gone): the follower lists again and replaces its cache, so what went
 * meanwhile goes from the snapshot — even when the new list is at the version it already had.
 * Until then a read gets the last snapshot, which is still the cluster as of one version. And the
 * version a snapshot claims is one the watch vouched for, never just the newest event's.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../model/types.js";
import { type Datastore, DatastoreError, type WatchEvent } from "./datastore.js";
import { byKind } from "./follow.js";
import { DatastoreFollower } from "./informer.js";

const obj = (kind: string, name: string, rv = "5"): KubeObject =>
  ({ apiVersion: "v1", kind, metadata: { name, resourceVersion: rv } }) as KubeObject;

interface Callbacks {
  onEvent: (e: WatchEvent) => void;
  onError: (e: DatastoreError) => void;
  onProgress?: (rv: string) => void;
}

/** fakeDatastore holds objects at version 5 and lets the test drive the watch and hold the next list. */
function fakeDatastore(objects: KubeObject[]) {
  let cb: Callbacks | undefined;
  let release: () => void = () => {};
  let held: Promise<void> | undefined;
  let lists = 0;
  const ds = {
    kind: "fake",
    list: async (kinds: readonly string[]) => {
      lists++;
      if (held) await held;
      return { items: objects.filter((o) => kinds.includes(o.kind)), resourceVersion: "5" };
    },
    watch: (
      _kinds: unknown,
      _rv: string,
      onEvent: Callbacks["onEvent"],
      onError: Callbacks["onError"],
      onProgress: Callbacks["onProgress"],
    ) => {
      cb = { onEvent, onError, onProgress };
      return { stop() {} };
    },
    close: async () => {},
  } as unknown as Datastore;
  return {
    ds,
    lists: () => lists,
    watch: () => cb,
    gone() {
      held = new Promise((r) => (release = r));
      cb?.onError(new DatastoreError("Gone", "watch", "Nodes from version 5", "required revision has been compacted"));
    },
    release: () => {
      held = undefined;
      release();
    },
  };
}

const empty = { resourceVersion: 0, objects: {} };

test("after a compacted watch the kinds are listed again: the last snapshot stands meanwhile, and the new list is a change at the same version", async () => {
  const objects = [obj("ClusterInformation", "default"), obj("Node", "a"), obj("Node", "b")];
  const fake = fakeDatastore(objects);
  const logs: string[] = [];
  const f = new DatastoreFollower(fake.ds, (l) => logs.push(l));
  await f.open();
  const nodes = () => byKind(f.read() ?? empty, "Node").map((n) => n.metadata.name);
  assert.deepEqual(nodes(), ["a", "b"]);
  objects.splice(2, 1); // b is deleted, and the event compacted away
  fake.gone();
  assert.equal(f.changed(), false, "nothing new while listing again");
  assert.deepEqual(nodes(), ["a", "b"], "the last snapshot, as of version 5, stands");
  fake.release();
  for (let i = 0; i < 50 && !f.changed(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(f.changed(), true, "the new list is a change, though at the same version");
  assert.deepEqual(nodes(), ["a"]);
  assert.match(logs.join("\n"), /required revision has been compacted: listing again/);
  f.stop();
});

test("a snapshot's version is what the watch vouched for: an event alone does not advance it, its progress does", async () => {
  const fake = fakeDatastore([obj("ClusterInformation", "default")]);
  const f = new DatastoreFollower(fake.ds, () => {});
  await f.open();
  assert.equal(f.read()?.resourceVersion, 5);
  const w = fake.watch();
  w?.onEvent({ type: "ADDED", object: obj("Lease", "n1", "9"), resourceVersion: "9" });
  assert.equal(f.changed(), true);
  assert.equal(f.read()?.resourceVersion, 5, "not yet vouched for");
  w?.onProgress?.("9");
  assert.equal(f.read()?.resourceVersion, 9);
  w?.onProgress?.("7");
  assert.equal(f.read()?.resourceVersion, 9, "never backwards");
  f.stop();
});

test("a watch that breaks (not Gone) is followed again from a new list, after a backoff", async () => {
  const fake = fakeDatastore([obj("ClusterInformation", "default")]);
  const logs: string[] = [];
  const f = new DatastoreFollower(fake.ds, (l) => logs.push(l));
  await f.open();
  assert.equal(fake.lists(), 1);
  fake.watch()?.onError(new DatastoreError("Unavailable", "watch", "Nodes", "the etcd datastore did not answer: stream closed"));
  assert.ok(f.read(), "the last snapshot stands");
  for (let i = 0; i < 100 && fake.lists() < 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(fake.lists(), 2, "listed again");
  assert.match(logs.join("\n"), /did not answer: stream closed/);
  f.stop();
});
