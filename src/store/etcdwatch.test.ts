import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import type { Etcd3 } from "etcd3";
import type { WatchEvent } from "./datastore.js";
import { delivered, watchEtcd } from "./etcdwatch.js";

const kv = (key: string, rev: number, value: object | undefined) => ({
  key: Buffer.from(key),
  value: Buffer.from(value ? JSON.stringify(value) : ""),
  create_revision: String(rev),
  mod_revision: String(rev),
});
const node = (name: string) => ({ apiVersion: "v1", kind: "Node", metadata: { name } });

/** fakeClient hands out one watcher, an EventEmitter the test drives as the etcd3 client would. */
function fakeClient() {
  const watcher = Object.assign(new EventEmitter(), { cancel: async () => {} });
  const seen: { prefix?: string; start?: string } = {};
  const builder = {
    prefix: (p: string) => ((seen.prefix = p), builder),
    startRevision: (r: string) => ((seen.start = r), builder),
    withPreviousKV: () => builder,
    create: async () => watcher,
  };
  return { client: { watch: () => builder } as unknown as Etcd3, watcher, seen };
}

test("delivered is the last event's revision, or a progress notification's header", () => {
  assert.equal(delivered({ header: { revision: "40" } as never, events: [{ kv: kv("k", 12, {}) } as never] }), "12");
  assert.equal(delivered({ header: { revision: "40" } as never, events: [] }), "40");
});

test("a watch of several kinds is one stream over podnet's keys: their events in order, other keys only as progress, and a re-attach resumes after what was delivered", async () => {
  const { client, watcher, seen } = fakeClient();
  const events: WatchEvent[] = [];
  const progress: string[] = [];
  watchEtcd(
    client,
    ["Node", "Pod"],
    "9",
    { onEvent: (e) => events.push(e), onError: assert.fail, onProgress: (r) => progress.push(r) },
    async () => false,
  );
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, { prefix: "/podnet/v1/", start: "10" });
  // The client's own bookkeeping would resume from the header's revision (50): too far.
  watcher.emit("data", {
    header: { revision: "50" },
    events: [
      { type: "Put", kv: kv("/podnet/v1/core/Node/_/a", 11, node("a")) },
      { type: "Put", kv: kv("/podnet/v1/_updates", 12, undefined) },
      { type: "Put", kv: kv("/podnet/v1/core/Service/default/s", 13, { kind: "Service", metadata: { name: "s" } }) },
    ],
  });
  assert.deepEqual(
    events.map((e) => `${e.type} ${e.object.metadata.name}@${e.resourceVersion}`),
    ["ADDED a@11"],
  );
  assert.deepEqual(progress, ["13"]);
  const req: { start_revision?: string } = { start_revision: "51" };
  watcher.emit("connecting", req);
  assert.equal(req.start_revision, "14");
});
