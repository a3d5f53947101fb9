import assert from "node:assert/strict";
import { test } from "node:test";
import { WatchManager } from "etcd3/lib/watch.js";
import "./etcdwatchfix.js";

test("a watch response for a watch the etcd3 client already dropped is ignored instead of crashing the process", () => {
  const handle = (WatchManager.prototype as unknown as { handleResponse(res: { watch_id: string }): void }).handleResponse;
  const seen: unknown[] = [];
  const manager = {
    watchers: [{ id: "1" }],
    initialBackoff: { next: () => undefined },
    handleUpdateResponse: (_w: unknown, res: unknown) => seen.push(res),
  };
  assert.doesNotThrow(() => handle.call(manager, { watch_id: "7" }));
  assert.deepEqual(seen, []);
  handle.call(manager, { watch_id: "1" });
  assert.equal(seen.length, 1, "a known watch still gets its response");
});
