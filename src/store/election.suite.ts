/**
 * Leader election cases every backend passes: of two candidates exactly one leads; a leader that
 * dies (stops renewing) is followed by the other once its lease runs out; one that steps down
 * hands over at once.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Datastore } from "./datastore.js";
import { Elector } from "./election.js";
import { until } from "./informer.suite.js";

/** electionSuite registers the election cases for one backend. */
export function electionSuite(name: string, make: () => Promise<{ ds: Datastore; done: () => Promise<void> }>): void {
  test(
    `${name}: one of two candidates leads; when it dies the other leads within the lease's TTL, and a leader that steps down hands over at once`,
    { timeout: 60_000 },
    async (t) => {
      const { ds, done } = await make();
      const changes: string[] = [];
      const elector = (id: string) =>
        new Elector(ds, {
          name: "controller",
          identity: id,
          ttlSeconds: 2,
          onChange: (l) => changes.push(`${id} ${l ? "leads" : "stops"}`),
        });
      const a = elector("a");
      const b = elector("b");
      const c = elector("c");
      try {
        await a.start();
        await b.start();
        assert.equal(a.leading, true);
        assert.equal(b.leading, false);
        assert.equal(await b.holder(), "a");
        // a keeps its lease alive past its TTL: b waits.
        await new Promise((r) => setTimeout(r, 3_000));
        assert.deepEqual([a.leading, b.leading], [true, false]);

        const died = Date.now();
        a.abandon();
        await until("b to lead", () => b.leading, 15_000);
        const took = Date.now() - died;
        t.diagnostic(`after the leader died, the other led in ${took} ms (TTL 2 s)`);
        assert.ok(took <= 5_000, `a new leader within 5 s: ${took} ms`);
        assert.equal(await c.holder(), "b");

        await c.start();
        assert.equal(c.leading, false);
        const handed = Date.now();
        await b.stop();
        await until("c to lead", () => c.leading, 10_000);
        t.diagnostic(`a leader that stepped down was followed in ${Date.now() - handed} ms`);
        assert.ok(Date.now() - handed < 2_000);
        assert.deepEqual(changes, ["a leads", "b leads", "b stops", "c leads"]);
      } finally {
        a.abandon();
        await b.stop();
        await c.stop();
        await ds.close();
        await done();
      }
    },
  );
}
