/**
 * The behavioural cases every datastore backend passes (embedded, etcd; a Kubernetes one later):
 * Kubernetes' create / update / delete semantics with compare-and-swap, lists with their version,
 * ordered watches from a version (or Gone), and leases whose end deletes their objects.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../model/types.js";
import { type Datastore, DatastoreError, type WatchEvent, withoutVersion } from "./datastore.js";

const pod = (name: string, ns = "default", labels: Record<string, string> = {}): KubeObject =>
  ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: "c" }] } }) as KubeObject;
const node = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Node", metadata: { name }, spec: {} }) as KubeObject;
const key = (o: KubeObject) => ({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name });

const rejects = (p: Promise<unknown>, reason: string) =>
  assert.rejects(p, (e: unknown) => e instanceof DatastoreError && e.reason === reason && /^failed to \w+ /.test(e.message));

const until = async (what: string, fn: () => boolean | Promise<boolean>, ms = 8_000) => {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** datastoreSuite registers the shared cases for one backend; make gives a fresh, empty datastore and its cleanup. */
export function datastoreSuite(name: string, make: () => Promise<{ ds: Datastore; done: () => Promise<void> }>): void {
  const each = (title: string, fn: (ds: Datastore) => Promise<void>) =>
    test(`${name}: ${title}`, { timeout: 60_000 }, async () => {
      const { ds, done } = await make();
      try {
        await fn(ds);
      } finally {
        await ds.close();
        await done();
      }
    });

  each("create stores an object with a version; a second create of its key is AlreadyExists", async (ds) => {
    const made = await ds.create(pod("a"));
    assert.ok(made.metadata.resourceVersion);
    const got = await ds.get(key(made));
    assert.equal(got?.metadata.resourceVersion, made.metadata.resourceVersion);
    assert.equal(got?.metadata.name, "a");
    await rejects(ds.create(pod("a")), "AlreadyExists");
    assert.equal(await ds.get({ kind: "Pod", namespace: "other", name: "a" }), undefined);
  });

  each("update compares and swaps on resourceVersion; a missing object is NotFound", async (ds) => {
    const v1 = await ds.create(pod("a"));
    const v2 = await ds.update<KubeObject>({ ...v1, metadata: { ...v1.metadata, labels: { x: "1" } } });
    assert.ok(Number(v2.metadata.resourceVersion) > Number(v1.metadata.resourceVersion));
    await rejects(ds.update({ ...v1, metadata: { ...v1.metadata, labels: { x: "stale" } } }), "Conflict");
    assert.deepEqual((await ds.get(key(v1)))?.metadata.labels, { x: "1" });
    const v3 = await ds.update(withoutVersion<KubeObject>({ ...v2, metadata: { ...v2.metadata, labels: { x: "2" } } }));
    assert.deepEqual((await ds.get(key(v1)))?.metadata.labels, { x: "2" }, "without a version, update overwrites");
    assert.ok(Number(v3.metadata.resourceVersion) > Number(v2.metadata.resourceVersion));
    await rejects(ds.update(pod("nobody")), "NotFound");
  });

  each("delete honours a version; deleting twice says false", async (ds) => {
    const v1 = await ds.create(pod("a"));
    await ds.update(v1);
    await rejects(ds.delete(key(v1), v1.metadata.resourceVersion), "Conflict");
    assert.equal(await ds.delete(key(v1)), true);
    assert.equal(await ds.delete(key(v1)), false);
    assert.equal(await ds.get(key(v1)), undefined);
  });

  each("list gives one kind (one namespace when asked) in name order, and a version no older than its items", async (ds) => {
    for (const o of [pod("b"), pod("a"), pod("c", "other"), node("n1")]) await ds.create(o);
    const all = await ds.list("Pod");
    assert.deepEqual(all.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort(), ["default/a", "default/b", "other/c"]);
    const def = await ds.list("Pod", "default");
    assert.deepEqual(
      def.items.map((p) => p.metadata.name),
      ["a", "b"],
    );
    for (const p of all.items) assert.ok(Number(all.resourceVersion) >= Number(p.metadata.resourceVersion));
    assert.deepEqual(
      (await ds.list("Node")).items.map((n) => n.metadata.name),
      ["n1"],
    );
  });

  each("a watch from a list's version reports later changes of its kind, in order", async (ds) => {
    await ds.create(pod("before"));
    const { resourceVersion } = await ds.list("Pod");
    const seen: WatchEvent[] = [];
    const errors: Error[] = [];
    const w = ds.watch(
      "Pod",
      resourceVersion,
      (e) => seen.push(e),
      (e) => errors.push(e),
    );
    try {
      // Give the watch its start before writing (the embedded store compares its first read with the version).
      await new Promise((r) => setTimeout(r, 300));
      const a = await ds.create(pod("a"));
      await until("ADDED a", () => seen.length >= 1);
      await ds.create(node("n1"));
      const a2 = await ds.update<KubeObject>({ ...a, metadata: { ...a.metadata, labels: { x: "1" } } });
      await until("MODIFIED a", () => seen.length >= 2);
      await ds.delete({ kind: "Pod", namespace: "default", name: "before" });
      await until("DELETED before", () => seen.length >= 3);
      assert.deepEqual(
        seen.map((e) => `${e.type} ${e.object.metadata.name}`),
        ["ADDED a", "MODIFIED a", "DELETED before"],
      );
      assert.equal(seen[1]?.resourceVersion, a2.metadata.resourceVersion);
      const versions = seen.map((e) => Number(e.resourceVersion));
      assert.deepEqual(
        [...versions].sort((x, y) => x - y),
        versions,
        "versions only grow",
      );
      assert.deepEqual(errors, []);
    } finally {
      w.stop();
    }
  });

  each("a watch from an older version either replays what came after it or says Gone", async (ds) => {
    const old = (await ds.list("Pod")).resourceVersion;
    await ds.create(pod("a"));
    const seen: WatchEvent[] = [];
    let gone: DatastoreError | undefined;
    const w = ds.watch(
      "Pod",
      old,
      (e) => seen.push(e),
      (e) => (gone = e),
    );
    try {
      await until("the missed create or Gone", () => seen.length > 0 || gone !== undefined);
      if (gone) assert.equal(gone.reason, "Gone");
      else
        assert.deepEqual(
          seen.map((e) => `${e.type} ${e.object.metadata.name}`),
          ["ADDED a"],
        );
    } finally {
      w.stop();
    }
  });

  each("objects written under a lease go when it expires or is revoked, and stay while it is kept alive", async (ds) => {
    const short = await ds.grantLease(1, false);
    const kept = await ds.grantLease(1, true);
    const revoked = await ds.grantLease(30, false);
    await ds.create(node("short"), { lease: short });
    await ds.create(node("kept"), { lease: kept });
    await ds.create(node("revoked"), { lease: revoked });
    await revoked.revoke();
    assert.equal(await ds.get({ kind: "Node", name: "revoked" }), undefined);
    await until("the short lease's node to go", async () => (await ds.get({ kind: "Node", name: "short" })) === undefined, 10_000);
    await new Promise((r) => setTimeout(r, 2_500));
    assert.ok(await ds.get({ kind: "Node", name: "kept" }), "a lease kept alive keeps its objects");
    await kept.revoke();
    await rejects(ds.create(node("late"), { lease: kept }), "NotFound");
  });
}
