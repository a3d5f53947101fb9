/**
 * `podnet agent` on etcd, as flanneld runs on its etcd (issue 20): two node namespaces on an
 * underlay, etcd in the underlay's namespace on its address, one agent per node in vxlan mode with
 * `--store etcd://…`. The agents publish their VTEP MACs through etcd and route each other's pods.
 * Then the faults: etcd stopped for 20 s under a 10/s ping loop loses no packet and the agents
 * resync without restarting, a change made afterwards is applied; and an agent frozen while the
 * cluster changes and etcd compacts past it re-lists and converges when it thaws.
 */
import { clusterInformation } from "../../src/cluster/information.js";
import { DEFAULT_CLUSTER } from "../../src/cluster/index.js";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { AgentStatus } from "../../src/agent/daemon.js";
import { createNetns, deleteNetns } from "../../src/iproute/netns.js";
import { startTestEtcd, type TestEtcd } from "../../src/lab/etcd.js";
import type { Node } from "../../src/model/types.js";
import { VTEP_MAC_ANNOTATION } from "../../src/routing/nodes.js";
import { etcdKey } from "../../src/store/etcdkeys.js";
import { stopPids } from "../../src/util/proc.js";
import { exec, PODNET } from "./helpers.js";

const prefix = `pn-ae${randomBytes(3).toString("hex")}-`;
const ns = (n: string) => `${prefix}${n}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const ip = (netns: string, text: string) => exec.run({ argv: ["ip", "-batch", "-"], netns: ns(netns), stdin: text });

/** topology: an underlay bridge (172.18.0.1), nodes n1 and n2 (172.18.0.11/12), a pod behind each node's cni0. */
async function topology(): Promise<void> {
  for (const n of ["ul", "n1", "n2", "p1", "p2"]) await createNetns(exec, ns(n));
  await ip("ul", "link add br0 type bridge\naddress add 172.18.0.1/24 dev br0\nlink set br0 up\nlink set lo up\n");
  for (const i of [1, 2]) {
    await ip("ul", `link add u${i} type veth peer name eth0 netns ${ns(`n${i}`)}\nlink set u${i} master br0\nlink set u${i} up\n`);
    await ip(
      `n${i}`,
      `address add 172.18.0.1${i}/24 dev eth0\nlink set eth0 up\nlink set lo up\nlink add cni0 type bridge\naddress add 10.244.${i - 1}.1/24 dev cni0\nlink set cni0 up\n` +
        `link add vp type veth peer name eth0 netns ${ns(`p${i}`)}\nlink set vp master cni0\nlink set vp up\n`,
    );
    await exec.run({ argv: ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"], netns: ns(`n${i}`) });
    await ip(
      `p${i}`,
      `address add 10.244.${i - 1}.2/24 dev eth0\nlink set eth0 mtu 1450\nlink set eth0 up\nroute add default via 10.244.${i - 1}.1\n`,
    );
  }
}

function node(i: number, annotations: Record<string, string> = {}): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: `node-${i}`, annotations },
    spec: { podCIDR: `10.244.${i - 1}.0/24`, podCIDRs: [`10.244.${i - 1}.0/24`] },
    status: { addresses: [{ type: "InternalIP", address: `172.18.0.${10 + i}` }] },
  } as Node;
}

/** put writes an object as podnet keeps it in etcd (the JSON, without its resourceVersion). */
const put = (etcd: TestEtcd, o: { kind: string; metadata: { name: string; namespace?: string } }) =>
  etcd.ctl([
    "put",
    etcdKey({ kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) }),
    JSON.stringify(o),
  ]);

interface Agents {
  dir: string;
  pids: number[];
  status(i: number): AgentStatus;
}

async function startAgents(etcd: TestEtcd): Promise<Agents> {
  const dir = mkdtempSync(join(tmpdir(), "podnet-e2e-agent-"));
  const pids: number[] = [];
  for (const i of [1, 2])
    pids.push(
      await exec.daemon({
        argv: [
          process.execPath,
          PODNET,
          "agent",
          "--node-name",
          `node-${i}`,
          "--store",
          `etcd://${etcd.endpoint.replace("http://", "")}`,
          "--status-file",
          join(dir, `status-${i}.json`),
          "--cluster-cidr",
          "10.244.0.0/16",
          "--routing-mode",
          "vxlan",
          "--state-dir",
          join(dir, `state-${i}`),
          "--resync-period",
          "2s",
          "--bind-address",
          "",
        ],
        netns: ns(`n${i}`),
        logFile: join(dir, `agent-${i}.log`),
        readyLine: "ready",
        timeoutMs: 30_000,
      }),
    );
  return { dir, pids, status: (i) => JSON.parse(readFileSync(join(dir, `status-${i}.json`), "utf8")) as AgentStatus };
}

/** converged waits until both agents converged to a version of at least `rv` (20 s at most). */
async function converged(a: Agents, rv = 0): Promise<void> {
  for (let t = 0; ; t++) {
    const s = [1, 2].map((i) => {
      try {
        return a.status(i);
      } catch {
        return undefined;
      }
    });
    if (s.every((x) => x?.converged && x.resourceVersion >= rv)) return;
    if (t > 200)
      throw new Error(`agents did not converge to ${rv}: ${JSON.stringify(s)}\n${readFileSync(join(a.dir, "agent-1.log"), "utf8")}`);
    await sleep(100);
  }
}

const revision = async (etcd: TestEtcd) =>
  (JSON.parse(await etcd.ctl(["get", "/", "--prefix", "--keys-only", "-w", "json"])) as { header: { revision: number } }).header.revision;
const routes = async (i: number) => (await exec.run({ argv: ["ip", "route", "show", "proto", "81"], netns: ns(`n${i}`) })).stdout;

test(
  "podnet agent on etcd: vxlan through published MACs; etcd down 20 s loses no packet; compaction while frozen re-lists",
  { timeout: 180_000 },
  async () => {
    let etcd: TestEtcd | undefined;
    let agents: Agents | undefined;
    try {
      await topology();
      etcd = await startTestEtcd(exec, { netns: ns("ul"), host: "172.18.0.1" });
      await put(etcd, clusterInformation(DEFAULT_CLUSTER, "e2e"));
      for (const i of [1, 2]) await put(etcd, node(i));
      agents = await startAgents(etcd);
      await converged(agents);
      const stored = JSON.parse(await etcd.ctl(["get", etcdKey({ kind: "Node", name: "node-2" }), "--print-value-only"])) as Node;
      assert.match(
        stored.metadata.annotations?.[VTEP_MAC_ANNOTATION] ?? "",
        /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/,
        "node-2's VTEP MAC is in etcd",
      );
      assert.match(await routes(1), /^10\.244\.1\.0\/24 via 10\.244\.1\.0 dev podnet\.1 .*onlink/m);
      const ping = (count: number) =>
        exec.run({
          argv: ["ping", "-n", "-q", "-i", "0.1", "-W", "1", "-c", String(count), "10.244.1.2"],
          netns: ns("p1"),
          okCodes: [0, 1],
          timeoutMs: 120_000,
        });
      assert.match((await ping(3)).stdout, / 0% packet loss/, "pod to pod across the overlay");

      // etcd stopped for 20 s under a 10/s ping loop: the data plane does not notice.
      const loop = ping(300);
      await sleep(2_000);
      await etcd.pause();
      await sleep(20_000);
      await etcd.resume();
      assert.match((await loop).stdout, /300 packets transmitted, 300 received/, "no packet lost while etcd was down");
      assert.deepEqual(
        [1, 2].map((i) => agents?.status(i).pid),
        agents.pids,
        "the agents resynced without restarting",
      );
      // The next change is applied: a third node (its MAC published by hand) gets a route on both.
      await put(etcd, node(3, { [VTEP_MAC_ANNOTATION]: "02:00:00:00:00:33" }));
      await converged(agents, await revision(etcd));
      for (const i of [1, 2])
        assert.match(await routes(i), /^10\.244\.2\.0\/24 via 10\.244\.2\.0 dev podnet\.1/m, `node-${i} routes node-3`);

      // node-1's agent frozen across an etcd restart, while node-3 goes and etcd compacts past
      // everything the agent saw: when it thaws, its watch cannot resume, and it lists again.
      const frozen = agents.pids[0] as number;
      process.kill(frozen, "SIGSTOP");
      try {
        await etcd.pause();
        await etcd.resume();
        await etcd.ctl(["del", etcdKey({ kind: "Node", name: "node-3" })]);
        await put(etcd, stored);
        await etcd.ctl(["compact", String(await revision(etcd))]);
      } finally {
        process.kill(frozen, "SIGCONT");
      }
      await converged(agents, await revision(etcd));
      const log1 = readFileSync(join(agents.dir, "agent-1.log"), "utf8");
      assert.doesNotMatch(
        await routes(1),
        /10\.244\.2\.0/,
        `the route to the deleted node is gone; agent-1:\n${log1}\n${JSON.stringify(agents.status(1))}`,
      );
      assert.match(readFileSync(join(agents.dir, "agent-1.log"), "utf8"), /compact/i, "the agent saw its watch compacted");
      assert.match((await ping(3)).stdout, / 0% packet loss/);
    } finally {
      if (agents) {
        await stopPids(agents.pids);
        rmSync(agents.dir, { recursive: true, force: true });
      }
      await etcd?.stop();
      for (const n of ["p2", "p1", "n2", "n1", "ul"]) await deleteNetns(exec, ns(n)).catch(() => {});
    }
  },
);
