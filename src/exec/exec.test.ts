import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type CommandSpec,
  type EarlyCommand,
  ExecError,
  netnsPath,
  RealExecutor,
  RecordingExecutor,
  startEarly,
  wrapArgv,
} from "./index.js";

type StartSpec = Omit<CommandSpec, "stdin">;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("wrapArgv enters a named or path namespace with nsenter (ip switches itself) and leaves our own alone", () => {
  assert.deepEqual(wrapArgv({ argv: ["ip", "link"], netns: null }), ["ip", "link"]);
  assert.deepEqual(wrapArgv({ argv: ["iptables-save"], netns: "pn-a-node-1" }), [
    "nsenter",
    "--net=/var/run/netns/pn-a-node-1",
    "--",
    "iptables-save",
  ]);
  assert.deepEqual(wrapArgv({ argv: ["ip", "link"], netns: "pn-a-node-1" }), ["ip", "-n", "pn-a-node-1", "link"]);
  assert.deepEqual(wrapArgv({ argv: ["ip", "-batch", "-"], netns: "/run/netns/cni-1234" }), ["ip", "-n", "cni-1234", "-batch", "-"]);
  assert.deepEqual(wrapArgv({ argv: ["ip", "link"], netns: "/proc/42/ns/net" }), ["nsenter", "--net=/proc/42/ns/net", "--", "ip", "link"]);
  assert.deepEqual(wrapArgv({ argv: ["ip", "link"], netns: "/var/run/netns/../x" }), [
    "nsenter",
    "--net=/var/run/netns/../x",
    "--",
    "ip",
    "link",
  ]);
  assert.equal(netnsPath("/proc/1/ns/net"), "/proc/1/ns/net");
  assert.deepEqual(wrapArgv({ argv: ["dig", "web"], netns: "pn-a-pod-1", netnsFiles: true }), [
    "ip",
    "netns",
    "exec",
    "pn-a-pod-1",
    "dig",
    "web",
  ]);
});

test("netnsPath rejects names that could escape /var/run/netns", () => {
  for (const bad of ["../etc", "a b", "a;rm", "", "-x"]) assert.throws(() => netnsPath(bad), /invalid netns name/);
});

test("RealExecutor passes arguments verbatim, without a shell", async () => {
  const ex = new RealExecutor();
  const r = await ex.run({ argv: ["printf", "%s|", "a b", "$(id)", ";true"], netns: null });
  assert.equal(r.stdout, "a b|$(id)|;true|");
});

test("RealExecutor feeds stdin and reports failures with command, code and stderr", async () => {
  const ex = new RealExecutor();
  assert.equal((await ex.run({ argv: ["cat"], netns: null, stdin: "batch\n" })).stdout, "batch\n");
  await assert.rejects(
    ex.run({ argv: ["ls", "/nonexistent-podnet"], netns: null }),
    (e: unknown) => e instanceof ExecError && e.code === 2 && /No such file/.test(e.stderr) && /failed to run "ls/.test(e.message),
  );
  assert.equal((await ex.run({ argv: ["false"], netns: null, okCodes: [1] })).code, 1);
  await assert.rejects(ex.run({ argv: ["/no/such/binary"], netns: null }), /ENOENT/);
});

test("RecordingExecutor records argv, netns and stdin and fails on scripted exit codes", async () => {
  const ex = new RecordingExecutor((c) => (c.argv[0] === "bad" ? { code: 3, stderr: "boom" } : { stdout: "ok" }));
  assert.equal((await ex.run({ argv: ["ip", "-batch", "-"], netns: "n1", stdin: "link add x\n" })).stdout, "ok");
  await assert.rejects(ex.run({ argv: ["bad"], netns: null }), /boom/);
  assert.deepEqual(ex.commands(), ["[n1] ip -batch -", "bad"]);
  assert.equal(ex.calls[0]?.stdin, "link add x\n");
});

test("startEarly starts a command before its input is known; a second feed runs it anew, cancel gives empty input", async () => {
  const ex = new RealExecutor();
  const early = startEarly(ex, { argv: ["cat"], netns: null });
  await sleep(20);
  assert.equal((await early.feed("late input\n")).stdout, "late input\n");
  assert.equal((await early.feed("again\n")).stdout, "again\n");
  early.cancel(); // after feed: nothing happens
  const rec = new RecordingExecutor();
  const recorded = startEarly(rec, { argv: ["ip", "-batch", "-"], netns: "n1" });
  const skipped = startEarly(rec, { argv: ["ip", "-j", "-batch", "-"], netns: null });
  skipped.cancel();
  await recorded.feed("link set lo up\n");
  assert.deepEqual(rec.commands(), ["[n1] ip -batch -"], "a cancelled command is not recorded");
  assert.equal(rec.calls[0]?.stdin, "link set lo up\n");
});

/** takeWaiting takes the executor's spare for spec once one is started (within 2 s) and asserts it still waits for its input. */
async function takeWaiting(ex: RealExecutor, spec: StartSpec, why: string): Promise<EarlyCommand> {
  for (let i = 0; i < 200; i++) {
    const spare = ex.takeSpare(spec);
    if (spare?.waiting()) return spare;
    if (spare) break;
    await sleep(10);
  }
  assert.fail(why);
}

/** withSpares runs body with an executor keeping spares for specs, and closes it even when body fails (a live spare would hang the test). */
async function withSpares(specs: StartSpec[], body: (ex: RealExecutor) => Promise<void>): Promise<void> {
  const ex = new RealExecutor({ spares: specs });
  try {
    await body(ex);
  } finally {
    ex.close();
  }
}

test("RealExecutor keeps a spare started for startEarly, replaces it after use and ends it on close", async () => {
  const cat = { argv: ["cat"], netns: null };
  await withSpares([cat], async (ex) => {
    assert.equal(ex.takeSpare({ argv: ["cat", "-"], netns: null }), undefined, "no spare for another command");
    const first = startEarly(ex, cat);
    assert.equal((await first.feed("one")).stdout, "one");
    const second = await takeWaiting(ex, cat, "a new spare is started once the taken one has answered");
    assert.equal(ex.takeSpare(cat), undefined, "one spare at a time");
    assert.equal((await second.feed("two")).stdout, "two");
    ex.close();
    await sleep(20);
    assert.equal(ex.takeSpare(cat), undefined, "none after close, not even the refill due after the last answer");
  });
});

test("a spare that exited while it waited is not handed out; a fresh one replaces it", async () => {
  const spec = { argv: ["timeout", "0.3", "cat"], netns: null }; // waits for input, but only 0.3 s
  await withSpares([spec], async (ex) => {
    await sleep(500);
    assert.equal(ex.takeSpare(spec), undefined, "the spare has exited");
    const fresh = await takeWaiting(ex, spec, "a replacement was started at once");
    assert.equal((await fresh.feed("in time")).stdout, "in time");
  });
  const cat = startEarly(new RecordingExecutor(), { argv: ["cat"], netns: null });
  assert.equal(cat.waiting(), true);
  await cat.feed("x");
  assert.equal(cat.waiting(), false);
});

test("a command's time limit runs from when it gets its input, so a spare can wait longer than it", async () => {
  const spec = { argv: ["cat"], netns: null, timeoutMs: 100 };
  await withSpares([spec], async (ex) => {
    await sleep(300);
    const spare = await takeWaiting(ex, spec, "still waiting after three times its limit");
    assert.equal((await spare.feed("late")).stdout, "late");
  });
  const slow = startEarly(new RealExecutor(), { argv: ["sleep", "5"], netns: null, timeoutMs: 100 });
  await assert.rejects(slow.feed(""), /killed by SIGKILL/);
});
