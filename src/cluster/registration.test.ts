import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Node } from "../model/types.js";
import { EmbeddedDatastore } from "../store/embedded-ds.js";
import { EmbeddedStore } from "../store/embedded.js";
import { registerNode } from "./registration.js";

test("an agent registers its Node once, with its addresses; a Node that exists is left as it is", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-reg-"));
  try {
    const store = new EmbeddedStore(join(dir, "store.json"));
    await store.create(() => {});
    const ds = new EmbeddedDatastore(store);
    assert.equal(await registerNode(ds, "host-a", ["192.0.2.10", "2001:db8::10"]), true);
    const n = await ds.get<Node>({ kind: "Node", name: "host-a" });
    assert.deepEqual(n?.status?.addresses, [
      { type: "InternalIP", address: "192.0.2.10" },
      { type: "InternalIP", address: "2001:db8::10" },
      { type: "Hostname", address: "host-a" },
    ]);
    assert.equal(n?.metadata.labels?.["kubernetes.io/hostname"], "host-a");
    await ds.update({ ...n!, spec: { podCIDR: "10.244.3.0/24" } } as Node);
    assert.equal(await registerNode(ds, "host-a", ["192.0.2.99"]), false);
    const kept = await ds.get<Node>({ kind: "Node", name: "host-a" });
    assert.equal(kept?.spec.podCIDR, "10.244.3.0/24");
    assert.equal(kept?.status?.addresses?.[0]?.address, "192.0.2.10");
    await ds.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
