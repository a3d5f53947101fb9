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

const identity = (spec: object = {}): KubeObject =>
  ({ apiVersion: "podnet.io/v1", kind: "ClusterInformation", metadata: { name: "default" }, spec }) as KubeObject;
const node = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Node", metadata: { name }, spec: {} }) as KubeObject;
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
      await ds.create(identity());
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
      await ds.create(identity());
      await f.open();
      for (let i = 0; i < 20; i++) {
        const o = i % 2 ? svc(`s${i}`) : node(`n${i}`);
        const made = await ds.create(o);
        written.push({ key: keyString(keyOf(o)), rv: Number(made.metadata.resourceVersion) });
      }
      const last = written[written.length - 1]?.rv ?? 0;
      await until("the last write", () => (f.read()?.resourceVersion ?? 0) >= last);
      assert.ok(checked > 0);
    } finally {
      running = false;
      f.stop();
      await ds.close();
      await done();
      await reader;
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
        await ds.create(identity());
        await ds.create(svc("a"));
        await f.open();
        assert.deepEqual(services(f), ["a:80"]);
        await ds.delete({ kind: "Service", namespace: "default", name: "a" });
        await ds.delete({ kind: "ClusterInformation", name: "default" });
        await until("the follower to yield nothing", () => f.read() === undefined);
        assert.match(f.error?.message ?? "", /holds no ClusterInformation "default".*keeping the data plane as it is/);
        // Reported once per distinct reason: never twice in a row, however often the daemon reads.
        const missing = logs.filter((l) => l.includes('no ClusterInformation "default"'));
        assert.ok(missing.length >= 1 && logs.every((l, i) => i === 0 || l !== logs[i - 1]), `reported once: ${logs.join(" | ")}`);
        // A record that says the datastore is not ready (a restore under way) holds it off too.
        await ds.create(identity({ datastoreReady: false }));
        await until("the record to be read", () => f.read() === undefined && /datastoreReady: false/.test(f.error?.message ?? ""));
        const held = await ds.get({ kind: "ClusterInformation", name: "default" });
        await ds.update({ ...(held as KubeObject), spec: { datastoreReady: true } } as KubeObject);
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
