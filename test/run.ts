/**
 * The test runner behind `npm test`: runs unit tests (beside the code) and end-to-end tests
 * (test/e2e) with node's test runner, then proves the root network namespace is exactly as before
 * and removes any namespace a crashed test left behind (reporting it as a failure).
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RealExecutor } from "../src/exec/real.js";
import { deleteNetns, listNetns } from "../src/iproute/netns.js";
import { diffLines, snapshotRootNetns } from "./rootns.js";

const DIST = fileURLToPath(new URL("..", import.meta.url));

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return testFiles(p);
    return f.endsWith(".test.js") ? [p] : [];
  });
}

const exec = new RealExecutor();
const only = process.argv[2];
const files = [...testFiles(join(DIST, "src")), ...testFiles(join(DIST, "test"))].filter((f) => !only || f.includes(only)).sort();
if (files.length === 0) {
  // node --test with no file would look for tests everywhere and run the whole suite.
  process.stderr.write(`no test file's path contains "${only}" (paths are dist/…/*.test.js)\n`);
  process.exit(2);
}
const before = await snapshotRootNetns(exec);
const netnsBefore = new Set(await listNetns(exec, "pn"));
/**
 * SOLO are the heaviest e2e files (3-member etcd labs, each with controllers and a daemon set per
 * node): two of them side by side on a 2-core machine stretched a test past its timeout and a pod's
 * 3 s request past its own (seen in a rehearsal), so they run one at a time, after the rest.
 */
const SOLO = /\/lab-etcd[^/]*\.test\.js$/;
const run = (group: string[], concurrency: number) =>
  group.length === 0
    ? Promise.resolve(0)
    : exec.interactive({
        argv: [process.execPath, "--test", `--test-concurrency=${concurrency}`, "--test-reporter=spec", ...group],
        netns: null,
        env: { NODE_EXTRA_CA_CERTS: undefined },
      });
const shared = await run(
  files.filter((f) => !SOLO.test(f)),
  2,
);
const solo = await run(
  files.filter((f) => SOLO.test(f)),
  1,
);
let code = shared || solo;
const leftovers = (await listNetns(exec, "pn")).filter((n) => !netnsBefore.has(n));
for (const n of leftovers) await deleteNetns(exec, n).catch(() => {});
const changes = diffLines(before, await snapshotRootNetns(exec));
if (leftovers.length > 0) {
  process.stderr.write(`FAIL: tests left ${leftovers.length} namespaces behind (now removed): ${leftovers.join(" ")}\n`);
  code ||= 1;
}
if (changes.length > 0) {
  process.stderr.write(`FAIL: the root network namespace changed during the tests:\n${changes.join("\n")}\n`);
  code ||= 1;
} else process.stdout.write("root network namespace unchanged; no namespaces left behind\n");
process.exitCode = code;
