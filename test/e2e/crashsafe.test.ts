/**
 * podnet-cni under a runtime's worst day: 100 ADDs, 20 at a time in separate processes, about half
 * SIGKILLed at a random moment (during Node's start, the allocation, the link setup, the masquerade
 * rules…). Then GC with the attachments that completed. Afterwards: no address held by anything but
 * a completed attachment, no pod link or masquerade rule left on the node but theirs, and no
 * address given twice.
 */
import assert from "node:assert/strict";
import { randomBytes, randomInt } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FORBID_NETNS_ENV } from "../../src/cni/datapath.js";
import { hostVethName } from "../../src/cni/names.js";
import { ExecError } from "../../src/exec/types.js";
import { inParallel } from "../../src/lab/kubelet.js";
import { createNetns, deleteNetns, pidsInNetns } from "../../src/iproute/netns.js";
import { exec, REPO } from "./helpers.js";

const PLUGIN = join(REPO, "bin/podnet-cni");
const N = 100;

test(
  "SIGKILL at random points during 100 ADDs, then GC: nothing leaked, nothing stray, nothing doubled",
  { timeout: 300_000 },
  async () => {
    const prefix = `pn-k${randomBytes(3).toString("hex")}-`;
    const node = `${prefix}node`;
    const pods = Array.from({ length: N }, (_, i) => `${prefix}p${i}`);
    const dataDir = mkdtempSync(join(tmpdir(), "podnet-crash-"));
    const conf = (extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        cniVersion: "1.1.0",
        name: "crash",
        type: "podnet-cni",
        bridge: "cni0",
        isGateway: true,
        ipMasq: true,
        ipam: { type: "podnet", subnet: "10.250.0.0/24", dataDir },
        ...extra,
      });
    const env = (cmd: string, i: number) => ({
      CNI_COMMAND: cmd,
      CNI_CONTAINERID: `ctr${i}`,
      CNI_NETNS: `/var/run/netns/${pods[i]}`,
      CNI_IFNAME: "eth0",
      CNI_PATH: join(REPO, "bin"),
      [FORBID_NETNS_ENV]: "",
      PODNET_CNI_SOCKET: "none", // standalone: SIGKILL hits the process doing the work
    });
    try {
      await createNetns(exec, node);
      await inParallel(pods, 10, (p) => createNetns(exec, p));
      const completed: number[] = [];
      let killed = 0;
      await inParallel(
        Array.from({ length: N }, (_, i) => i),
        20,
        async (i) => {
          const kill = randomInt(2) === 0;
          try {
            await exec.run({
              argv: [PLUGIN],
              netns: node,
              stdin: conf(),
              env: env("ADD", i),
              ...(kill ? { timeoutMs: randomInt(10, 400) } : {}),
            });
            completed.push(i);
          } catch (e) {
            if (!(e instanceof ExecError) || !/killed by SIGKILL/.test(e.stderr)) throw e;
            killed++;
          }
        },
      );
      // A killed plugin's children (ip, iptables-restore) may still finish their batch; a runtime's GC
      // comes long after, so wait until nothing runs in the node namespace any more.
      for (let t = 0; t < 100 && (await pidsInNetns(exec, node)).length > 0; t++) await new Promise((r) => setTimeout(r, 50));
      const valid = completed.map((i) => ({ containerID: `ctr${i}`, ifname: "eth0" }));
      await exec.run({
        argv: [PLUGIN],
        netns: node,
        stdin: conf({ "cni.dev/valid-attachments": valid }),
        env: { ...env("GC", 0), CNI_CONTAINERID: "", CNI_NETNS: "" },
      });

      const files = readdirSync(join(dataDir, "crash")).filter((f) => f.startsWith("10."));
      const owners = files.map((f) => readFileSync(join(dataDir, "crash", f), "utf8").split(/\r?\n/)[0]);
      const keep = new Set(valid.map((v) => v.containerID));
      const leaked = owners.filter((o) => !keep.has(o ?? "")).length;
      const links = (JSON.parse((await exec.run({ argv: ["ip", "-j", "link", "show"], netns: node })).stdout) as { ifname: string }[]).map(
        (l) => l.ifname,
      );
      const wanted = new Set(completed.map((i) => hostVethName(`ctr${i}`, "eth0")));
      const stray = links.filter((l) => /^pn[0-9a-f]{11}$/.test(l) && !wanted.has(l)).length;
      const podAddrs: string[] = [];
      for (const p of pods) {
        const a = JSON.parse(
          (await exec.run({ argv: ["ip", "-j", "-4", "addr", "show", "dev", "eth0"], netns: p, okCodes: [0, 1] })).stdout || "[]",
        ) as {
          addr_info: { local: string }[];
        }[];
        podAddrs.push(...a.flatMap((x) => x.addr_info.map((i) => i.local)));
      }
      const duplicates = podAddrs.length - new Set(podAddrs).size;
      const nat = (await exec.run({ argv: ["iptables-save", "-t", "nat"], netns: node })).stdout;
      const masq = nat.split("\n").filter((l) => /^-A POSTROUTING .* -j PN-MASQ-/.test(l)).length;
      const masqChains = nat.split("\n").filter((l) => l.startsWith(":PN-MASQ-")).length;
      console.log(
        `  ${N} ADDs: ${completed.length} completed, ${killed} SIGKILLed; after GC: ${files.length} IPs held, ${leaked} leaked, ${stray} stray links, ${duplicates} duplicate IPs, ${podAddrs.length} pods with an address, ${masq} masquerade rules`,
      );
      assert.equal(completed.length + killed, N);
      assert.ok(killed >= 20, "enough kills to mean something");
      assert.equal(leaked, 0, "leaked IPs");
      assert.equal(stray, 0, "stray links");
      assert.equal(duplicates, 0, "duplicate IPs");
      assert.equal(files.length, completed.length, "one IP per completed attachment");
      assert.equal(podAddrs.length, completed.length, "only completed pods keep an interface");
      assert.equal(masq, completed.length, "masquerade rules only for completed attachments");
      assert.equal(masqChains, completed.length, "masquerade chains only for completed attachments");
      for (const i of completed.slice(0, 3))
        assert.match(
          (await exec.run({ argv: ["ping", "-c1", "-W2", "10.250.0.1"], netns: pods[i]! })).stdout,
          /1 received/,
          "survivors still work",
        );
    } finally {
      await inParallel([...pods, node], 10, (p) => deleteNetns(exec, p));
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
);
