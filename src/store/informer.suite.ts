/**
 * The cases every backend passes under DatastoreFollower (the node daemons' view of the cluster):
 * it lists what is there, follows creates, updates and deletes, and refuses to read an emptied
 * datastore as an empty cluster until the object every cluster has is back.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../model/types.js";
import type { Datastore } from "./datastore.js";
import { byKind } from "./follow.js";
import { DatastoreFollower } from "./informer.js";
import { keyOf, keyString } from "./types.js";

const ns = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }) as KubeObject;
const lease = (name: string): KubeObject =>
  ({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace: "kube-node-lease" }, spec: {} }) as KubeObject;
const svc = (name: string, port = 80): KubeObject =>
  ({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: "default" }, spec: { ports: [{ port }] } }) as KubeObject;

/** until polls fn until it holds, or throws naming what it waited for. */
export async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** services reads the follower's Services as "name:port", or undefined when it yields nothing. */
export function services(f: DatastoreFollower): string[] | undefined {
  const s = f.read();
  return (
    s &&
    byKind(s, "Service")
      .map((o) => `${o.metadata.name}:${(o.spec as { ports: { port: number }[] }).ports[0]?.port}`)
      .sort()
  );
}

/** informerSuite registers the follower cases for one backend. */
export function informerSuite(name: string, make: () => Promise<{ ds: Datastore; done: () => Promise<void> }>): void {
  test(`${name}: a follower lists, then follows creates, updates and deletes`, { timeout: 60_000 }, async () => {
    const { ds, done } = await make();
    const f = new DatastoreFollower(ds, () => {});
    try {
      await ds.create(ns("default"));
      const a = await ds.create(svc("a"));
      await f.open();
      assert.deepEqual(services(f), ["a:80"]);
      assert.equal(f.changed(), false, "nothing new since that read");
      await ds.create(svc("b"));
      await ds.update({ ...a, spec: { ports: [{ port: 8080 }] } } as KubeObject);
      await until("b and a's new port", () => JSON.stringify(services(f)) === JSON.stringify(["a:8080", "b:80"]));
      await ds.delete({ kind: "Service", namespace: "default", name: "a" });
      await until("a to go", () => JSON.stringify(services(f)) === JSON.stringify(["b:80"]));
    } finally {
      f.stop();
      await ds.close();
      await done();
    }
  });

  test(`${name}: a snapshot holds every change up to its version, whatever kinds they were made to`, { timeout: 60_000 }, async () => {
    const { ds, done } = await make();
    const f = new DatastoreFollower(ds, () => {});
    const written: { key: string; rv: number }[] = [];
    let checked = 0;
    let running = true;
    // Reads as often as a busy agent would, and checks each against what had been written by then.
    const reader = (async () => {
      while (running) {
        const s = f.read();
        if (s)
          for (const w of written)
            if (w.rv <= s.resourceVersion) {
              assert.ok(s.objects[w.key], `${w.key} (version ${w.rv}) is missing from the snapshot at version ${s.resourceVersion}`);
              checked++;
            }
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      await ds.create(ns("default"));
      await f.open();
      for (let i = 0; i < 20; i++) {
        const o = i % 2 ? svc(`s${i}`) : lease(`l${i}`);
        const made = await ds.create(o);
        written.push({ key: keyString(keyOf(o)), rv: Number(made.metadata.resourceVersion) });
      }
      const last = written[written.length - 1]?.rv ?? 0;
      await until("the last write", () => (f.read()?.resourceVersion ?? 0) >= last);
      assert.ok(checked > 0);
    } finally {
      running = false;
      await reader;
      f.stop();
      await ds.close();
      await done();
    }
  });

  test(
    `${name}: an emptied datastore is not an empty cluster: the follower yields nothing and says why, until the cluster is back`,
    { timeout: 60_000 },
    async () => {
      const { ds, done } = await make();
      const logs: string[] = [];
      const f = new DatastoreFollower(ds, (l) => logs.push(l));
      try {
        await ds.create(ns("default"));
        await ds.create(svc("a"));
        await f.open();
        assert.deepEqual(services(f), ["a:80"]);
        await ds.delete({ kind: "Service", namespace: "default", name: "a" });
        await ds.delete({ kind: "Namespace", name: "default" });
        await until("the follower to yield nothing", () => f.read() === undefined);
        assert.match(f.error?.message ?? "", /holds no Namespace "default".*keeping the data plane as it is/);
        // Reported once per distinct reason: never twice in a row, however often the daemon reads.
        const missing = logs.filter((l) => l.includes('no Namespace "default"'));
        assert.ok(missing.length >= 1 && logs.every((l, i) => i === 0 || l !== logs[i - 1]), `reported once: ${logs.join(" | ")}`);
        await ds.create(ns("default"));
        await until("the cluster to be back, without a", () => JSON.stringify(services(f)) === "[]");
        assert.equal(f.error, undefined);
      } finally {
        f.stop();
        await ds.close();
        await done();
      }
    },
  );
}
