/** Node lifecycle on the embedded store (src/lab/etcd.test.ts runs the same case on etcd). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EmbeddedStore } from "../store/embedded.js";
import { EmbeddedDatastore } from "../store/embedded-ds.js";
import { nodeLifecycleSuite } from "./nodelifecycle.suite.js";

nodeLifecycleSuite("embedded", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-lifecycle-"));
  const store = new EmbeddedStore(join(dir, "store.json"));
  await store.create(() => {});
  return { ds: new EmbeddedDatastore(store), store, done: async () => rmSync(dir, { recursive: true, force: true }) };
});
