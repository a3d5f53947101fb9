/**
 * Two daemons on one follower: each sees every change once, a change is read from the inner
 * follower once whoever asks first, a tick that throws ends only its own daemon's loop, and the
 * loop underneath stops with the last tap.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Follower, type StoreSnapshot, tickLoop } from "./follow.js";
import { SharedFollower } from "./shared.js";

/** fakeFollower changes when the test says so and counts the reads and loops it served. */
function fakeFollower() {
  let version = 0;
  let readVersion = 0;
  let wake = () => {};
  let stopped = false;
  const counts = { reads: 0, loops: 0 };
  const f: Follower & { bump(): void; stopped(): boolean } = {
    error: undefined,
    open: async () => {},
    changed: () => version !== readVersion,
    read: (): StoreSnapshot => {
      counts.reads++;
      readVersion = version;
      return { resourceVersion: version, objects: {} };
    },
    readIfChanged: () => (f.changed() ? f.read() : undefined),
    loop: async (tick, wakeMs = 10) => {
      counts.loops++;
      await tickLoop(
        tick,
        wakeMs,
        (w) => (wake = w),
        () => stopped,
      );
    },
    stop: () => {
      stopped = true;
      wake();
    },
    bump: () => {
      version++;
      wake();
    },
    stopped: () => stopped,
  };
  return { f, counts };
}

const until = async (ok: () => boolean) => {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(ok(), "in time");
};

test("two taps each see every change once; the inner follower is read once per change", async () => {
  const { f, counts } = fakeFollower();
  const shared = new SharedFollower(f);
  const [a, b] = [shared.tap(), shared.tap()];
  const seen: Record<string, number[]> = { a: [], b: [] };
  const tickOf = (name: string, t: Follower) => async () => {
    const s = t.readIfChanged();
    if (s) seen[name]?.push(s.resourceVersion);
  };
  const runs = [a.loop(tickOf("a", a)), b.loop(tickOf("b", b))];
  f.bump();
  await until(() => seen.a?.at(-1) === 1 && seen.b?.at(-1) === 1);
  f.bump();
  await until(() => seen.a?.at(-1) === 2 && seen.b?.at(-1) === 2);
  assert.deepEqual(seen, { a: [1, 2], b: [1, 2] });
  assert.equal(counts.reads, 2, "one read per change, whichever tap asked first");
  assert.equal(counts.loops, 1, "one loop underneath");
  a.stop();
  assert.equal(f.stopped(), false, "b still follows");
  b.stop();
  await Promise.all(runs);
  assert.equal(f.stopped(), true, "the last tap stops the loop underneath");
});

test("a tap that has not read sees the change the other tap read; a throwing tick ends only its loop", async () => {
  const { f } = fakeFollower();
  const shared = new SharedFollower(f);
  const [a, b] = [shared.tap(), shared.tap()];
  f.bump();
  assert.equal(a.read()?.resourceVersion, 1);
  assert.equal(a.changed(), false);
  assert.equal(b.changed(), true, "b has not read version 1 yet");
  assert.equal(b.read()?.resourceVersion, 1);
  let bTicks = 0;
  const failing = a.loop(async () => {
    throw new Error("boom");
  });
  const running = b.loop(async () => {
    bTicks++;
  });
  await assert.rejects(failing, /boom/);
  const before = bTicks;
  await until(() => bTicks > before + 2);
  assert.equal(f.stopped(), false);
  b.stop();
  await running;
  assert.equal(f.stopped(), true);
});
