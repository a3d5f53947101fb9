/**
 * A CNI conformance suite, driven exactly as a runtime drives a plugin (fresh process, CNI_*
 * environment, config on stdin, in a node namespace of its own), run against podnet-cni and — to
 * prove the cases themselves — against the reference bridge + host-local from Debian's
 * containernetworking-plugins, wherever the reference supports the case (it stops at CNI 1.0.0, so
 * GC and STATUS run against podnet-cni only). podnet-cni runs both ways a node can run it: standalone
 * (the executable runs the plugin in its own process) and through the node's agent (the executable
 * hands the call to `podnet cni agent` over a unix socket); both must pass every case.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { stopPids } from "../../src/util/proc.js";
import { FORBID_NETNS_ENV } from "../../src/cni/datapath.js";
import { ExecError } from "../../src/exec/types.js";
import { createNetns, deleteNetns } from "../../src/iproute/netns.js";
import { exec, netnsFixture, PODNET, REPO } from "./helpers.js";

interface Subject {
  name: string;
  bin: string;
  type: string;
  ipam: string;
  bridge: string;
  subnet: string;
  versions: string[];
  /** env is added to every call; agent is the socket of a `podnet cni agent` the node runs, named by the config's agentSocket. */
  env: Record<string, string>;
  agent?: string;
}

const id = randomBytes(3).toString("hex");
const NODE = `pn-f${id}-node`;
const POD = `pn-f${id}-pod`;
const dataDir = mkdtempSync(join(tmpdir(), "podnet-conf-"));
const ALL = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];
const podnet = { bin: join(REPO, "bin/podnet-cni"), type: "podnet-cni", ipam: "podnet", versions: ALL };

const SUBJECTS: Subject[] = [
  { name: "podnet-cni standalone", ...podnet, bridge: "cni0", subnet: "10.248.0.0/24", env: { PODNET_CNI_SOCKET: "none" } },
  {
    name: "podnet-cni through its agent",
    ...podnet,
    bridge: "cni2",
    subnet: "10.246.0.0/24",
    env: {},
    agent: join(dataDir, "agent", "cni.sock"),
  },
  {
    name: "reference bridge + host-local",
    bin: "/usr/lib/cni/bridge",
    type: "bridge",
    ipam: "host-local",
    bridge: "cni1",
    subnet: "10.249.0.0/24",
    versions: ["0.3.0", "0.3.1", "0.4.0", "1.0.0"],
    env: {},
  },
];

netnsFixture({ before, after }, { node: NODE, pod: POD }, dataDir);

for (const s of SUBJECTS) {
  describe(s.name, () => {
    let agent: number | undefined;
    if (s.agent) {
      const socket = s.agent;
      before(async () => {
        agent = await exec.daemon({
          argv: [PODNET, "cni", "agent", "--socket", socket],
          netns: NODE,
          logFile: join(dataDir, "agent.log"),
          readyLine: "ready",
        });
      });
      after(() => stopPids(agent === undefined ? [] : [agent]));
    }
    const conf = (version: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        cniVersion: version,
        name: `conf-${s.bridge}`,
        type: s.type,
        bridge: s.bridge,
        isGateway: true,
        ipam: { type: s.ipam, subnet: s.subnet, dataDir: join(dataDir, s.bridge) },
        ...(s.agent ? { agentSocket: s.agent } : {}),
        ...extra,
      });
    const call = async (command: string, stdin: string, env: Record<string, string> = {}) => {
      const vars = {
        CNI_COMMAND: command,
        CNI_CONTAINERID: "conf1",
        CNI_NETNS: `/var/run/netns/${POD}`,
        CNI_IFNAME: "eth0",
        CNI_PATH: `${join(REPO, "bin")}:/usr/lib/cni`,
        [FORBID_NETNS_ENV]: "",
        ...s.env,
        ...env,
      };
      try {
        const r = await exec.run({ argv: [s.bin], netns: NODE, stdin, env: vars });
        return { code: 0, out: (r.stdout ? JSON.parse(r.stdout) : {}) as Record<string, unknown> };
      } catch (e) {
        if (!(e instanceof ExecError)) throw e;
        return { code: e.code ?? -1, out: JSON.parse(e.stdout || "{}") as Record<string, unknown> };
      }
    };
    const podLinks = async () =>
      (JSON.parse((await exec.run({ argv: ["ip", "-j", "link", "show"], netns: POD })).stdout) as { ifname: string }[]).map(
        (l) => l.ifname,
      );

    test("VERSION lists every config version the suite uses", async () => {
      const v = await call("VERSION", "{}");
      for (const ver of s.versions) assert.ok((v.out.supportedVersions as string[]).includes(ver), ver);
    });

    for (const version of s.versions)
      test(`${version}: ADD returns that version's result, CHECK passes, DEL cleans up and repeats`, async () => {
        const add = await call("ADD", conf(version));
        assert.equal(add.code, 0, JSON.stringify(add.out));
        assert.equal(add.out.cniVersion, version);
        const ips = add.out.ips as { address: string; version?: string; interface?: number }[];
        assert.match(ips[0]?.address ?? "", new RegExp(`^${s.subnet.split(".").slice(0, 3).join("\\.")}\\.\\d+/24$`));
        if (version.startsWith("0.")) assert.equal(ips[0]?.version, "4", "0.x results carry ips[].version");
        else assert.equal(ips[0]?.version, undefined, "1.x results have no ips[].version");
        const ifs = add.out.interfaces as { name: string; sandbox?: string }[];
        assert.equal(ifs[ips[0]?.interface ?? -1]?.sandbox, `/var/run/netns/${POD}`, "the IP names the pod's interface");
        assert.ok((await podLinks()).includes("eth0"));
        if (version !== "0.3.0" && version !== "0.3.1") {
          const check = await call("CHECK", conf(version, { prevResult: add.out }));
          assert.equal(check.code, 0, JSON.stringify(check.out));
        }
        assert.equal((await call("DEL", conf(version, { prevResult: add.out }))).code, 0);
        assert.deepEqual(await podLinks(), ["lo"]);
        assert.equal((await call("DEL", conf(version))).code, 0, "DEL twice");
      });

    test("DEL of a container never seen, and with its netns gone, succeeds", async () => {
      assert.equal((await call("DEL", conf("1.0.0"), { CNI_CONTAINERID: "never-seen" })).code, 0);
      const gone = `pn-f${id}-gone`;
      await createNetns(exec, gone);
      const add = await call("ADD", conf("1.0.0"), { CNI_CONTAINERID: "gone1", CNI_NETNS: `/var/run/netns/${gone}` });
      assert.equal(add.code, 0);
      await deleteNetns(exec, gone); // the runtime lost the sandbox: the veth pair went with it
      assert.equal((await call("DEL", conf("1.0.0"), { CNI_CONTAINERID: "gone1", CNI_NETNS: `/var/run/netns/${gone}` })).code, 0);
    });

    test("errors are the spec's JSON with its codes", async () => {
      const cases: [string, string, Record<string, string>, number][] = [
        ["unsupported version", conf("9.9.9"), {}, 1],
        ["config that is not JSON", "{not json", {}, 6],
        ["no CNI_CONTAINERID", conf("1.0.0"), { CNI_CONTAINERID: "" }, 4],
      ];
      // The reference's skel prints an "about" line and exits 0 without CNI_COMMAND; podnet-cni reports code 4.
      if (s.type === "podnet-cni") cases.push(["no CNI_COMMAND", conf("1.0.0"), { CNI_COMMAND: "" }, 4]);
      for (const [what, stdin, env, code] of cases) {
        const r = await call("ADD", stdin, env);
        assert.notEqual(r.code, 0, what);
        assert.equal(r.out.code, code, `${what}: ${JSON.stringify(r.out)}`);
        assert.equal(typeof r.out.msg, "string", `${what} has a msg`);
      }
      const bad = await call("ADD", conf("1.0.0"), { CNI_NETNS: "/var/run/netns/does-not-exist", CNI_CONTAINERID: "fail1" });
      assert.notEqual(bad.code, 0, "ADD into a missing netns fails");
      const again = await call("ADD", conf("1.0.0"), { CNI_CONTAINERID: "fail2" });
      assert.equal(again.code, 0, "the failed ADD left its address free");
      await call("DEL", conf("1.0.0"), { CNI_CONTAINERID: "fail2" });
    });

    if (s.versions.includes("1.1.0"))
      test("1.1.0: GC releases attachments not in the valid list (both field names); STATUS reports exhaustion", async () => {
        for (const c of ["keep", "drop"])
          assert.equal((await call("ADD", conf("1.1.0"), { CNI_CONTAINERID: c, CNI_IFNAME: c === "keep" ? "eth0" : "eth1" })).code, 0);
        for (const field of ["cni.dev/valid-attachments", "cni.dev/attachments"]) {
          const gc = await call("GC", conf("1.1.0", { [field]: [{ containerID: "keep", ifname: "eth0" }] }), {
            CNI_CONTAINERID: "",
            CNI_NETNS: "",
            CNI_IFNAME: "",
          });
          assert.equal(gc.code, 0, JSON.stringify(gc.out));
        }
        assert.deepEqual(await podLinks(), ["lo", "eth0"], "the dropped attachment's interface is gone");
        assert.equal((await call("STATUS", conf("1.1.0"), { CNI_CONTAINERID: "", CNI_NETNS: "", CNI_IFNAME: "" })).code, 0);
        assert.equal((await call("DEL", conf("1.1.0"), { CNI_CONTAINERID: "keep" })).code, 0);
        // STATUS says when ADD cannot be served: a /30 has one address to give.
        const tiny = (extra = {}) =>
          conf("1.1.0", { ipam: { type: s.ipam, subnet: `10.247.${SUBJECTS.indexOf(s)}.0/30`, dataDir: join(dataDir, "tiny") }, ...extra });
        const none = { CNI_CONTAINERID: "", CNI_NETNS: "", CNI_IFNAME: "" };
        assert.equal((await call("STATUS", tiny(), none)).code, 0);
        assert.equal((await call("ADD", tiny(), { CNI_CONTAINERID: "only" })).code, 0);
        const full = await call("STATUS", tiny(), none);
        assert.deepEqual([full.code, full.out.code], [1, 50], JSON.stringify(full.out));
        assert.ok(String(full.out.msg).includes(`IPAM exhausted in 10.247.${SUBJECTS.indexOf(s)}.0/30`), String(full.out.msg));
        await call("DEL", tiny(), { CNI_CONTAINERID: "only" });
      });
  });
}
