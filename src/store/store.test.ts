import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { KubeObject } from "../model/types.js";
import { EmbeddedStore } from "./index.js";
import { storeSuite } from "./store.suite.js";

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

storeSuite("embedded", async () => {
  const { store, done } = await tempStore();
  return { store, again: () => new EmbeddedStore(store.file), done };
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
