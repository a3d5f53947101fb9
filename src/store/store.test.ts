import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { KubeObject } from "../model/types.js";
import { EmbeddedStore } from "./index.js";

const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name, labels },
});

async function tempStore(): Promise<{ store: EmbeddedStore; done: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "podnet-store-"));
  const store = new EmbeddedStore(join(dir, "store.json"));
  await store.create(() => {});
  return { store, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test("objects survive a new store instance, with uid, timestamps and increasing versions", async () => {
  const { store, done } = await tempStore();
  try {
    const a = await store.update((tx) => tx.put(ns("a")));
    const b = await store.update((tx) => tx.put(ns("b")));
    assert.ok(Number(b.metadata.resourceVersion) > Number(a.metadata.resourceVersion));
    const again = new EmbeddedStore(store.file);
    const list = await again.read((tx) => tx.list("Namespace"));
    assert.deepEqual(
      list.map((o) => o.metadata.name),
      ["a", "b"],
    );
    assert.equal(list[0]?.metadata.uid, a.metadata.uid);
    const a2 = await again.update((tx) => tx.put({ ...ns("a", { x: "1" }) }));
    assert.equal(a2.metadata.uid, a.metadata.uid, "uid is kept across updates");
  } finally {
    done();
  }
});

test("optimistic concurrency rejects a stale version and a failed update writes nothing", async () => {
  const { store, done } = await tempStore();
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
  } finally {
    done();
  }
});

test("concurrent updates are serialised: no lost writes", async () => {
  const { store, done } = await tempStore();
  try {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        new EmbeddedStore(store.file).update(async (tx) => {
          await new Promise((r) => setTimeout(r, 1));
          tx.put(ns(`n${i}`));
        }),
      ),
    );
    assert.equal((await store.read((tx) => tx.list("Namespace"))).length, 20);
  } finally {
    done();
  }
});

test("a store that vanished, is not a store, or lost the objects every cluster has is an error, never an empty cluster", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-store-"));
  try {
    const file = join(dir, "store.json");
    const required = [{ kind: "Namespace", name: "default" }];
    const store = new EmbeddedStore(file, { required });
    await assert.rejects(
      store.read((tx) => tx.list("Pod")),
      /failed to read store ".*": it does not exist/,
    );
    await assert.rejects(
      store.update(() => {}),
      /it does not exist/,
      "a write does not create it either",
    );
    await store.create((tx) => tx.put(ns("default")));
    await assert.rejects(
      store.create(() => {}),
      /it exists already/,
    );
    assert.deepEqual(await store.read((tx) => tx.list("Pod")), []);
    for (const [text, want] of [
      ["{}", /not a store: want .*, found \{\}/],
      ["[]", /not a store: .*found \[\]/],
      ["null", /not a store: .*found null/],
      ['{"resourceVersion": 3, "objects": {}}', /holds no Namespace "default", which every cluster has/],
      ['{"resourceVer', /failed to parse store/],
    ] as const) {
      writeFileSync(file, text);
      await assert.rejects(
        store.read((tx) => tx.list("Pod")),
        want,
        text,
      );
    }
    rmSync(file);
    assert.throws(() => store.version(), /does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
