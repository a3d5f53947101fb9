import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { RecordingExecutor } from "../exec/fake.js";
import { answer, encodeRequest, formatReply, parseRequest, SHIM_NETNS_KEY, serveAgent } from "./agent.js";

const OWN = String(statSync("/proc/self/ns/net").ino);

function ask(path: string, payload: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(path);
    const out: Buffer[] = [];
    c.on("connect", () => c.end(payload));
    c.on("data", (b: Buffer) => out.push(b));
    c.on("end", () => resolve(Buffer.concat(out).toString()));
    c.on("error", reject);
  });
}

test("requests: environment entries, an empty entry, then the configuration verbatim", () => {
  const req = { env: { CNI_COMMAND: "ADD", CNI_ARGS: "A=1;B=x=y", [SHIM_NETNS_KEY]: "42" }, stdin: '{"a":"\\u0000 ok"}\n' };
  const wire = encodeRequest(req);
  assert.equal(wire.toString(), 'CNI_COMMAND=ADD\0CNI_ARGS=A=1;B=x=y\0PODNET_SHIM_NETNS=42\0\0{"a":"\\u0000 ok"}\n');
  assert.deepEqual(parseRequest(wire), req);
  assert.deepEqual(parseRequest(Buffer.from("\0")), { env: {}, stdin: "" });
  for (const bad of ["CNI_COMMAND=ADD", "noequals\0\0{}", "=v\0\0"])
    assert.throws(
      () => parseRequest(Buffer.from(bad)),
      (e: Error & { code?: number }) => e.code === 6 && /failed to decode podnet-cni shim request/.test(e.message),
      bad,
    );
});

test("replies: exit code, newline, the plugin's output", () => {
  assert.equal(formatReply('{"x":1}', 0), '0\n{"x":1}\n');
  assert.equal(formatReply("", 0), "0\n");
});

test("answer runs the plugin on the request's environment and refuses callers from another netns", async () => {
  const exec = new RecordingExecutor();
  const version = await answer(exec, { env: { CNI_COMMAND: "VERSION", [SHIM_NETNS_KEY]: OWN }, stdin: '{"cniVersion":"0.4.0"}' }, OWN);
  assert.match(version, /^0\n\{"cniVersion":"0.4.0","supportedVersions":\[/);
  const other = await answer(exec, { env: { CNI_COMMAND: "VERSION", [SHIM_NETNS_KEY]: "1" }, stdin: "{}" }, OWN);
  assert.match(other, /^1\n.*"code":999.*the caller is in network namespace 1, this agent serves/);
  const missing = await answer(exec, { env: { CNI_COMMAND: "ADD" }, stdin: "{}" }, OWN);
  assert.match(missing, /^1\n.*"code":4.*CNI_CONTAINERID is missing/);
  assert.deepEqual(exec.calls, []);
});

test("a delegated IPAM plugin gets the call's CNI_* variables, not the agent's environment", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-agent-"));
  try {
    writeFileSync(join(dir, "fake-ipam"), "");
    chmodSync(join(dir, "fake-ipam"), 0o755);
    const exec = new RecordingExecutor();
    const env = {
      CNI_COMMAND: "DEL",
      CNI_CONTAINERID: "c1",
      CNI_IFNAME: "eth0",
      CNI_NETNS: "/x",
      CNI_ARGS: "K8S_POD_NAME=p",
      CNI_PATH: dir,
    };
    const conf = JSON.stringify({ cniVersion: "1.0.0", name: "n", type: "podnet-cni", ipam: { type: "fake-ipam" } });
    assert.equal(await answer(exec, { env, stdin: conf }, OWN), "0\n");
    const ipam = exec.calls.find((c) => c.argv[0] === join(dir, "fake-ipam"));
    assert.deepEqual(ipam?.env, env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("serveAgent: a 0600 socket, one agent per path, stale sockets replaced, removed on close", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-agent-"));
  const path = join(dir, "run", "cni.sock");
  try {
    const lines: string[] = [];
    const server = await serveAgent(new RecordingExecutor(), path, (l) => lines.push(l));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, "run")).mode & 0o777, 0o700);
    const reply = await ask(path, encodeRequest({ env: { CNI_COMMAND: "VERSION", [SHIM_NETNS_KEY]: OWN }, stdin: "{}" }));
    assert.match(reply, /^0\n\{"cniVersion":"1.1.0","supportedVersions"/);
    assert.match(await ask(path, Buffer.from("garbage")), /^1\n.*"code":6/);
    assert.match(lines[0] ?? "", /^\S+Z VERSION container= ifname= exit=0 \d+\.\dms\n$/);
    assert.match(lines[1] ?? "", / \? container= ifname= exit=1 /);
    await assert.rejects(serveAgent(new RecordingExecutor(), path), /another agent answers there/);
    await new Promise((r) => server.close(r));
    assert.throws(() => statSync(path), /ENOENT/);
    writeFileSync(path, ""); // what a killed agent leaves behind
    const again = await serveAgent(new RecordingExecutor(), path);
    await new Promise((r) => again.close(r));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
