import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { FORBID_NETNS_ENV } from "../../src/cni/datapath.js";
import { hostVethName } from "../../src/cni/names.js";
import { ExecError } from "../../src/exec/types.js";
import { createNetns, deleteNetns } from "../../src/iproute/netns.js";
import { processAlive } from "../../src/util/proc.js";
import { exec, netnsFixture, REPO } from "./helpers.js";

// podnet-cni driven exactly as a runtime drives it: a fresh process, CNI_* env, config on stdin,
// run inside a "node" namespace of the test's own.
const id = randomBytes(3).toString("hex");
const NODE = `pn-c${id}-node`;
const POD = `pn-c${id}-pod`;
const dataDir = mkdtempSync(join(tmpdir(), "podnet-cni-"));
const PLUGIN = join(REPO, "bin/podnet-cni");
const conf = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    cniVersion: "1.0.0",
    name: "e2e",
    type: "podnet-cni",
    bridge: "cni0",
    isGateway: true,
    ipMasq: true,
    ipam: { type: "podnet", subnet: "10.244.7.0/24", routes: [{ dst: "0.0.0.0/0" }], dataDir },
    ...extra,
  });

async function cni(
  command: string,
  stdin: string,
  env: Record<string, string> = {},
): Promise<{ code: number; out: Record<string, unknown> }> {
  const vars = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: "ctr1",
    CNI_NETNS: `/var/run/netns/${POD}`,
    CNI_IFNAME: "eth0",
    CNI_PATH: join(REPO, "bin"),
    [FORBID_NETNS_ENV]: "",
    PODNET_CNI_SOCKET: "none",
    ...env,
  };
  try {
    const r = await exec.run({ argv: [PLUGIN], netns: NODE, stdin, env: vars });
    return { code: 0, out: r.stdout ? JSON.parse(r.stdout) : {} };
  } catch (e) {
    if (!(e instanceof ExecError)) throw e;
    return { code: e.code ?? -1, out: JSON.parse(e.stdout) };
  }
}

async function links(ns: string): Promise<string[]> {
  return JSON.parse((await exec.run({ argv: ["ip", "-j", "link", "show"], netns: ns })).stdout).map((l: { ifname: string }) => l.ifname);
}

netnsFixture({ before, after }, { node: NODE, pod: POD }, dataDir);

test("VERSION lists the supported versions; an unsupported config version fails with code 1", async () => {
  const v = await cni("VERSION", "{}");
  assert.deepEqual(v.out.supportedVersions, ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]);
  const bad = await cni("ADD", conf({ cniVersion: "0.9.9" }));
  assert.equal(bad.code, 1);
  assert.equal(bad.out.code, 1);
});

test("ADD wires the pod, CHECK passes, DEL removes everything and succeeds twice", async () => {
  const add = await cni("ADD", conf());
  assert.equal(add.code, 0, JSON.stringify(add.out));
  const ips = add.out.ips as { address: string; gateway: string }[];
  assert.deepEqual(ips[0], { address: "10.244.7.2/24", gateway: "10.244.7.1", interface: 2 });
  const ping = await exec.run({ argv: ["ping", "-c1", "-W2", "10.244.7.1"], netns: POD });
  assert.match(ping.stdout, /1 received/);
  const nat = (await exec.run({ argv: ["iptables-save", "-t", "nat"], netns: NODE })).stdout;
  assert.match(nat, /-A POSTROUTING -s 10.244.7.2\/32 .* -j PN-MASQ-/);
  assert.equal((await cni("CHECK", conf({ prevResult: add.out }))).code, 0);
  assert.equal((await cni("DEL", conf())).code, 0);
  assert.equal((await cni("DEL", conf())).code, 0, "second DEL");
  assert.equal((await cni("DEL", conf(), { CNI_CONTAINERID: "never-seen", CNI_NETNS: "/var/run/netns/gone" })).code, 0);
  assert.deepEqual(await links(POD), ["lo"]);
  assert.ok(!(await links(NODE)).some((l) => l.startsWith("pn")), "host veth removed");
  assert.doesNotMatch((await exec.run({ argv: ["iptables-save", "-t", "nat"], netns: NODE })).stdout, /PN-MASQ/);
  assert.deepEqual(
    readdirSync(join(dataDir, "e2e")).filter((f) => f.startsWith("10.")),
    [],
    "IP released",
  );
  const check = await cni("CHECK", conf({ prevResult: add.out }));
  assert.equal(check.code, 1, "CHECK notices the attachment is gone");
});

test("a failed ADD leaves no IP, link or rule behind", async () => {
  // an MTU the kernel refuses: the node side's batch fails after IPAM allocated an address
  const r = await cni("ADD", conf({ mtu: 99999 }), { CNI_CONTAINERID: "ctr2" });
  assert.equal(r.code, 1);
  assert.match(String(r.out.msg), /failed to wire "pn[0-9a-f]{11}" on the node/);
  assert.deepEqual(
    readdirSync(join(dataDir, "e2e")).filter((f) => f.startsWith("10.")),
    [],
  );
  assert.ok(!(await links(NODE)).some((l) => l.startsWith("pn")));
  assert.doesNotMatch((await exec.run({ argv: ["iptables-save", "-t", "nat"], netns: NODE })).stdout, /PN-MASQ/);
});

test("missing environment and bad input give the spec's error codes", async () => {
  assert.equal((await cni("ADD", conf(), { CNI_CONTAINERID: "" })).out.code, 4);
  assert.equal((await cni("ADD", "{not json")).out.code, 6);
  assert.equal((await cni("ADD", conf(), { CNI_CONTAINERID: "a;b" })).out.code, 4);
  assert.equal((await cni("ADD", conf({ ipam: { type: "podnet", dataDir } }))).out.code, 7);
});

/** childrenOf lists the PIDs whose parent is pid (from /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1]?.split(" ")[1] === String(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test("the agent keeps one node-side ip started, refuses a second agent on its socket, and leaves nothing running when stopped", async () => {
  const socket = join(dataDir, "agent-life", "cni.sock");
  const argv = [PLUGIN, "agent", "--socket", socket];
  const pid = await exec.daemon({ argv, netns: NODE, logFile: join(dataDir, "agent-life.log"), readyLine: "ready" });
  let spares: number[] = [];
  try {
    for (let i = 0; i < 50 && spares.length === 0; i++) {
      spares = childrenOf(pid);
      if (spares.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(spares.length, 1, "one spare ip process");
    assert.match(readFileSync(`/proc/${spares[0]}/cmdline`, "utf8"), /^ip\0-j\0-batch\0-\0$/);
    const second = await exec.run({ argv, netns: NODE, okCodes: [1], timeoutMs: 10_000 });
    assert.match(second.stderr, /another agent answers there/, "a second agent exits (its own spare must not keep it alive)");
  } finally {
    process.kill(pid, "SIGTERM");
  }
  for (let i = 0; i < 100 && [pid, ...spares].some(processAlive); i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual([pid, ...spares].filter(processAlive), [], "agent and its spare exited on SIGTERM");
});

test("routed mode: CHECK checks the pod's addresses; GC removes stale attachments and a leftover routed veth, and keeps the valid one", async () => {
  const routed = (extra: Record<string, unknown> = {}) =>
    conf({ name: "e2e-routed", mode: "routed", ipMasq: false, ipam: { type: "podnet", subnet: "10.244.8.0/24", dataDir }, ...extra });
  const keep = await cni("ADD", routed(), { CNI_CONTAINERID: "r1", CNI_IFNAME: "eth1" });
  assert.equal(keep.code, 0, JSON.stringify(keep.out));
  // a second pod: one namespace holds one default route
  const pod2 = `pn-c${id}-pod2`;
  await createNetns(exec, pod2);
  try {
    const stale = await cni("ADD", routed(), { CNI_CONTAINERID: "r2", CNI_IFNAME: "eth2", CNI_NETNS: `/var/run/netns/${pod2}` });
    assert.equal(stale.code, 0, JSON.stringify(stale.out));
  } finally {
    await deleteNetns(exec, pod2);
  }
  assert.equal((await cni("CHECK", routed({ prevResult: keep.out }), { CNI_CONTAINERID: "r1", CNI_IFNAME: "eth1" })).code, 0);
  const addr = (keep.out.ips as { address: string }[])[0]!.address;
  await exec.run({ argv: ["ip", "address", "del", addr, "dev", "eth1"], netns: POD });
  const broken = await cni("CHECK", routed({ prevResult: keep.out }), { CNI_CONTAINERID: "r1", CNI_IFNAME: "eth1" });
  assert.equal(broken.code, 1);
  assert.match(String(broken.out.msg), new RegExp(`address ${addr.replace(/\./g, "\\.")} is missing`));
  await exec.run({ argv: ["ip", "address", "add", addr, "dev", "eth1"], netns: POD });
  // What an ADD killed after creating its veth leaves: a routed host end no allocation knows of.
  const leftover = hostVethName("killed", "eth0");
  await exec.run({ argv: ["ip", "link", "add", leftover, "type", "veth", "peer", "name", `x${id}`], netns: NODE });
  const gc = await cni("GC", routed({ "cni.dev/valid-attachments": [{ containerID: "r1", ifname: "eth1" }] }), {
    CNI_CONTAINERID: "",
    CNI_NETNS: "",
  });
  assert.equal(gc.code, 0, JSON.stringify(gc.out));
  const left = await links(NODE);
  assert.ok(left.includes(hostVethName("r1", "eth1")), "the valid attachment keeps its veth");
  assert.ok(!left.includes(hostVethName("r2", "eth2")), "the stale attachment's veth is gone");
  assert.ok(!left.includes(leftover), "the leftover routed veth is gone");
  assert.deepEqual(
    readdirSync(join(dataDir, "e2e-routed")).filter((f) => f.startsWith("10.")),
    [addr.split("/")[0]],
    "only the valid attachment holds an address",
  );
  assert.equal(
    (await cni("CHECK", routed({ prevResult: keep.out }), { CNI_CONTAINERID: "r1", CNI_IFNAME: "eth1" })).code,
    0,
    "GC left the valid one working",
  );
  assert.equal((await cni("DEL", routed(), { CNI_CONTAINERID: "r1", CNI_IFNAME: "eth1" })).code, 0);
});

test("a repeated ADD of a working attachment fails cleanly and leaves it working", async () => {
  const add = await cni("ADD", conf(), { CNI_CONTAINERID: "twice" });
  assert.equal(add.code, 0, JSON.stringify(add.out));
  const again = await cni("ADD", conf(), { CNI_CONTAINERID: "twice" });
  assert.equal(again.code, 1);
  assert.match(String(again.out.msg), /it exists already .*DEL the attachment first/);
  assert.equal(
    (await cni("CHECK", conf({ prevResult: add.out }), { CNI_CONTAINERID: "twice" })).code,
    0,
    "the first attachment still works",
  );
  const ip = (add.out.ips as { address: string }[])[0]!.address.split("/")[0]!;
  assert.ok(readdirSync(join(dataDir, "e2e")).includes(ip), "its address is still held");
  assert.match((await exec.run({ argv: ["ping", "-c1", "-W2", "10.244.7.1"], netns: POD })).stdout, /1 received/);
  // ADDs whose CNI_NETNS is wrong are refused before anything is touched (code 4), whatever attachments exist
  const file = join(dataDir, "not-a-netns");
  writeFileSync(file, "");
  const cases: [string, RegExp][] = [
    [file, /a regular file, not a network namespace/],
    [dataDir, /a directory, not a network namespace/],
    ["/var/run/netns/pn-no-such-netns", /no such file/],
    ["/proc/self/ns/net", /the node's own network namespace/],
  ];
  for (const [netns, why] of cases) {
    const r = await cni("ADD", conf(), { CNI_CONTAINERID: "twice", CNI_NETNS: netns });
    assert.equal(r.code, 1, netns);
    assert.equal(r.out.code, 4, netns);
    assert.match(String(r.out.msg), why, netns);
  }
  assert.equal(
    (await cni("CHECK", conf({ prevResult: add.out }), { CNI_CONTAINERID: "twice" })).code,
    0,
    "still working after the refused ADDs",
  );
  assert.deepEqual(await links(POD), ["lo", "eth0"], "the pod has only its own interface");
  assert.equal((await cni("DEL", conf(), { CNI_CONTAINERID: "twice" })).code, 0);
});
