/**
 * `podnet agent` (issue 20): with `lab up --node-agent` every node's routing runs in an agent
 * process in the node's namespace, following the cluster store, instead of the lab's in-process
 * reconcile. The routing suite's shared and membership cases pass in host-gw, vxlan and bgp; an
 * agent killed with -9 under a steady client loop drops no request, and once restarted its node's
 * routes, neighbours, FDB entries and rules are what they were (adopted, not rebuilt).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { AgentStatus } from "../../src/agent/daemon.js";
import { readDaemons } from "../../src/lab/daemons.js";
import { LabPaths } from "../../src/lab/layout.js";
import type { Pod } from "../../src/model/types.js";
import type { ProxyStatus } from "../../src/proxy/daemon.js";
import { processAlive } from "../../src/util/proc.js";
import { deployment, withLab, type TestLab } from "./helpers.js";
import { kernelRoutes, lines, membershipCases, nodeRun, sharedCases } from "./routing-cases.js";

for (const mode of ["host-gw", "vxlan", "bgp"])
  test(`${mode} with node agents: all pairs, egress, node add/remove/restart`, { timeout: 300_000 }, async () => {
    await withLab(
      3,
      async (lab) => {
        await sharedCases(lab, mode);
        await membershipCases(lab, (l, n) => kernelRoutes(l, n, mode === "bgp" ? "bird" : "81"));
        assert.match(await lab.ok(["status"]), /agent running \(pid \d+/);
      },
      ["--routing-mode", mode, "--node-agent"],
    );
  });

const status = (lab: TestLab, node: string) =>
  JSON.parse(readFileSync(new LabPaths(lab.stateDir, lab.name).agentStatus(node), "utf8")) as AgentStatus;

/** kernelState is what the agent owns on a node, as the kernel lists it (counters dropped). */
async function kernelState(lab: TestLab, node: string): Promise<string> {
  const parts = await Promise.all([
    nodeRun(lab, node, ["ip", "route", "show", "table", "all"]),
    nodeRun(lab, node, ["ip", "rule"]),
    nodeRun(lab, node, ["ip", "neigh", "show", "nud", "permanent"]),
    nodeRun(lab, node, ["bridge", "fdb", "show", "dev", "podnet.1"]),
    nodeRun(lab, node, ["iptables-save", "-t", "nat"]),
  ]);
  return parts
    .join("\n")
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .map((l) => l.replace(/\[\d+:\d+\]/, ""))
    .join("\n");
}

test(
  "kill -9 of a vxlan agent under a client loop: no request fails; restarted, it adopts its node's state unchanged",
  { timeout: 240_000 },
  async () => {
    await withLab(
      2,
      async (lab) => {
        await lab.ok(["apply", "-f", "-"], deployment("web", 4));
        const pods = (await lab.json<{ items: Pod[] }>(["get", "pods"])).items;
        const a = pods.find((p) => p.spec.nodeName === "node-1")!;
        const b = pods.find((p) => p.spec.nodeName === "node-2")!;
        const before = await kernelState(lab, "node-2");
        const victim = status(lab, "node-2").pid;
        // 10 requests a second for 8 s, from node-1 to a pod on node-2, through the victim's routes.
        const loop = lab.ok([
          "curl",
          a.metadata.name,
          `http://${b.status?.podIP}:8080/`,
          "--count",
          "80",
          "--interval",
          "100ms",
          "--timeout",
          "2s",
        ]);
        await new Promise((r) => setTimeout(r, 1500));
        process.kill(victim, "SIGKILL");
        await new Promise((r) => setTimeout(r, 1500));
        // The next reconcile starts the agent again, and returns once every agent converged.
        await lab.ok(["apply", "-f", "-"], deployment("web", 4));
        const answers = lines(await loop);
        assert.equal(answers.length, 80);
        assert.deepEqual(
          answers.filter((x) => x.error),
          [],
          "every request answered while the agent was dead and while it started",
        );
        const after = status(lab, "node-2");
        assert.notEqual(after.pid, victim, "a new agent runs");
        assert.equal(after.converged, true);
        assert.equal(await kernelState(lab, "node-2"), before, "routes, rules, neighbours and FDB entries as before");
        assert.match(await lab.ok(["status"]), /agent running \(pid \d+, restarted 1×\)/);
      },
      ["--routing-mode", "vxlan", "--node-agent"],
    );
  },
);

test(
  "the supervisor restarts a killed agent (its proxy and CNI socket with it) and policy agent with no lab command; lab stop holds one down until lab start",
  { timeout: 180_000 },
  async () => {
    await withLab(
      2,
      async (lab) => {
        const paths = new LabPaths(lab.stateDir, lab.name);
        const restarted = async (what: string, pid: () => number | undefined, old: number) => {
          const t0 = Date.now();
          for (;;) {
            const now = pid();
            if (now !== undefined && now !== old && processAlive(now)) return Date.now() - t0;
            // A liveness bound, not a speed goal: the figure is printed, and CI load stretches it.
            if (Date.now() - t0 > 30_000) throw new Error(`${what} was not restarted within 30 s`);
            await new Promise((r) => setTimeout(r, 50));
          }
        };
        const agentPid = () => readDaemons(paths, "node-2").agent?.pid;
        // One process per node: the agent hosts the proxy (its status file names the agent) and the CNI socket.
        const proxyOf = (node: string) => (JSON.parse(readFileSync(paths.proxyStatus(node), "utf8")) as ProxyStatus).pid;
        assert.equal(proxyOf("node-2"), agentPid(), "the proxy runs in the agent");
        const records = Object.keys(readDaemons(paths, "node-2"));
        assert.ok(records.includes("agent") && !records.includes("proxy") && !records.includes("cni-agent"), `${records}`);
        const victim = agentPid() ?? 0;
        process.kill(victim, "SIGKILL");
        const agentMs = await restarted("agent/node-2", agentPid, victim);
        const policyPid = () => readDaemons(paths, "node-1").policy?.pid;
        const policy = policyPid() ?? 0;
        process.kill(policy, "SIGKILL");
        const policyMs = await restarted("policy/node-1", policyPid, policy);
        process.stdout.write(`  restarted by the supervisor, no lab command: agent in ${agentMs} ms, policy agent in ${policyMs} ms\n`);
        // The restarted agent's proxy syncs again and answers its health check; a pod still gets wired through its socket.
        await lab.ok(["apply", "-f", "-"], deployment("web", 2));
        assert.equal(proxyOf("node-2"), agentPid(), "the restarted agent's proxy wrote its status");
        const pods = (await lab.json<{ items: Pod[] }>(["get", "pods"])).items;
        assert.ok(
          pods.some((p) => p.spec.nodeName === "node-2" && p.status?.podIP),
          "a pod wired on node-2 through the restarted agent's CNI socket",
        );

        assert.equal((await lab.ok(["stop", "agent/node-2"])).trim(), "agent/node-2 stopped");
        const held = agentPid() ?? 0;
        await new Promise((r) => setTimeout(r, 2_000));
        assert.equal(processAlive(held), false, "held down: not restarted");
        assert.match(await lab.ok(["status"]), /agent DEAD \(pid \d+, restarted 1×\) held down by lab stop/);
        await lab.ok(["apply", "-f", "-"], deployment("web", 2)); // does not wait for the held agent
        assert.match((await lab.cli(["stop", "router/node-2"])).stderr, /invalid component "router\/node-2": use DAEMON\/NODE/);
        await lab.ok(["start", "agent/node-2"]);
        assert.ok(processAlive(agentPid() ?? 0), "running again");
        assert.match(await lab.ok(["status"]), /supervisor running/);
      },
      ["--node-agent"],
    );
  },
);
