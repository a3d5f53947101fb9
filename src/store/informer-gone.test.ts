/**
 * A watch found compacted (Gone): the kind is listed again, and what went meanwhile goes from the
 * snapshot — even when the new list is at the version the follower already had, and even when a
 * daemon reads between the Gone and the new list (it then gets nothing, not a stale cache).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../model/types.js";
import { type Datastore, DatastoreError } from "./datastore.js";
import { byKind } from "./follow.js";
import { DatastoreFollower } from "./informer.js";

const obj = (kind: string, name: string): KubeObject =>
  ({ apiVersion: "v1", kind, metadata: { name, resourceVersion: "5" } }) as KubeObject;

/** fakeDatastore holds objects at version 5 and lets the test fail a kind's watch and hold its next list. */
function fakeDatastore(objects: KubeObject[]) {
  const onErrors = new Map<string, (e: DatastoreError) => void>();
  let release: () => void = () => {};
  let held: Promise<void> | undefined;
  const ds = {
    kind: "fake",
    list: async (kind: string) => {
      if (held && kind === "Node") await held;
      return { items: objects.filter((o) => o.kind === kind), resourceVersion: "5" };
    },
    watch: (kind: string, _rv: string, _onEvent: unknown, onError: (e: DatastoreError) => void) => {
      onErrors.set(kind, onError);
      return { stop() {} };
    },
    close: async () => {},
  } as unknown as Datastore;
  return {
    ds,
    gone(kind: string) {
      held = new Promise((r) => (release = r));
      onErrors.get(kind)?.(new DatastoreError("Gone", "watch", `${kind}s from version 5`, "required revision has been compacted"));
    },
    release: () => {
      held = undefined;
      release();
    },
  };
}

test("after a compacted watch the kind is listed again: no stale snapshot meanwhile, and the new list is a change at the same version", async () => {
  const objects = [obj("Namespace", "default"), obj("Node", "a"), obj("Node", "b")];
  const fake = fakeDatastore(objects);
  const logs: string[] = [];
  const f = new DatastoreFollower(fake.ds, (l) => logs.push(l));
  await f.open();
  const nodes = () => byKind(f.read() ?? { resourceVersion: 0, objects: {} }, "Node").map((n) => n.metadata.name);
  assert.deepEqual(nodes(), ["a", "b"]);
  objects.splice(2, 1); // b is deleted, and the event compacted away
  fake.gone("Node");
  assert.equal(f.changed(), false, "nothing to read while Nodes are listed again");
  assert.equal(f.read(), undefined, "no snapshot with the stale Nodes");
  fake.release();
  for (let i = 0; i < 50 && !f.changed(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(f.changed(), true, "the new list is a change, though at the same version");
  assert.deepEqual(nodes(), ["a"]);
  assert.match(logs.join("\n"), /required revision has been compacted: listing every kind again/);
  f.stop();
});
