/**
 * The Store cases (read, and update as one transaction over the cluster) that every backend
 * passes: the embedded file store and EtcdStore.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../model/types.js";
import type { Store } from "./types.js";

const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name, labels },
});

/** storeSuite registers the Store cases for one backend; make gives a fresh, empty store, a second client of it, and its cleanup. */
export function storeSuite(
  name: string,
  make: () => Promise<{ store: Store; again: () => Store; done: () => Promise<void> | void }>,
): void {
  test(`${name}: objects survive a new client, with uid, timestamps and increasing versions`, async () => {
    const { store, again: other, done } = await make();
    try {
      const a = await store.update((tx) => tx.put(ns("a")));
      const b = await store.update((tx) => tx.put(ns("b")));
      assert.ok(Number(b.metadata.resourceVersion) > Number(a.metadata.resourceVersion));
      const again = other();
      const list = await again.read((tx) => tx.list("Namespace"));
      assert.deepEqual(
        list.map((o) => o.metadata.name),
        ["a", "b"],
      );
      assert.equal(list[0]?.metadata.uid, a.metadata.uid);
      assert.equal(list[1]?.metadata.resourceVersion, b.metadata.resourceVersion, "an update returns the version the store keeps");
      const a2 = await again.update((tx) => tx.put({ ...ns("a", { x: "1" }) }));
      assert.equal(a2.metadata.uid, a.metadata.uid, "uid is kept across updates");
    } finally {
      await done();
    }
  });

  test(`${name}: optimistic concurrency rejects a stale version and a failed update writes nothing`, async () => {
    const { store, done } = await make();
    try {
      const a = await store.update((tx) => tx.put(ns("a")));
      await store.update((tx) => tx.put(ns("a", { v: "2" })));
      await assert.rejects(
        store.update((tx) => tx.put(ns("a", { v: "3" }), a.metadata.resourceVersion)),
        /has been modified/,
      );
      await assert.rejects(
        store.update((tx) => {
          tx.put(ns("c"));
          throw new Error("abort");
        }),
        /abort/,
      );
      assert.equal(await store.read((tx) => tx.get({ kind: "Namespace", name: "c" })), undefined);
      await store.update((tx) => tx.delete({ kind: "Namespace", name: "a" }));
      assert.equal(await store.read((tx) => tx.get({ kind: "Namespace", name: "a" })), undefined);
    } finally {
      await done();
    }
  });

  test(`${name}: concurrent updates from several clients are serialised: no lost writes`, async () => {
    const { store, again, done } = await make();
    try {
      await store.update((tx) =>
        tx.put({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "count", namespace: "default" }, data: { n: "0" } } as KubeObject),
      );
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          again().update(async (tx) => {
            const c = tx.get<KubeObject & { data: { n: string } }>({ kind: "ConfigMap", namespace: "default", name: "count" });
            await new Promise((r) => setTimeout(r, 1));
            tx.put({ ...c, data: { n: String(Number(c?.data.n) + 1) } } as KubeObject);
            tx.put(ns(`n${i}`));
          }),
        ),
      );
      assert.equal((await store.read((tx) => tx.list("Namespace"))).length, 20);
      const c = await store.read((tx) =>
        tx.get<KubeObject & { data: { n: string } }>({ kind: "ConfigMap", namespace: "default", name: "count" }),
      );
      assert.equal(c?.data.n, "20", "every read-modify-write saw the one before");
    } finally {
      await done();
    }
  });
}
