/**
 * The lab on etcd (issue 20): `lab up --datastore etcd` runs a 3-member etcd over TLS, one member per
 * namespace on the underlay, and every node daemon reads it with its own certificate. The routing
 * suite's shared cases pass on it with node agents; `lab status -o json` reports the members; a pod
 * gets nothing from a member, a node's certificate cannot write what a controller writes; a member
 * killed with -9 does not stop applies and is restarted into the cluster; `lab stop etcd-N` holds one down.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { StatusReport } from "../../src/lab/statusreport.js";
import type { Node, Pod } from "../../src/model/types.js";
import { etcdctl, members } from "./etcdlab.js";
import { deployment, type TestLab, waitFor, withLab } from "./helpers.js";
import { lines, sharedCases } from "./routing-cases.js";

/**
 * allMembersDown stops every member for 20 s under two client loops (10 requests/s each, pod to a pod
 * on another node, and pod to the ClusterIP): no request fails, `lab apply` fails within 10 s naming
 * the datastore, and once the members are back every agent resyncs without a restart and the next
 * change is applied.
 */
async function allMembersDown(lab: TestLab): Promise<void> {
  const podsOf = async (app: string) =>
    (await lab.json<{ items: Pod[] }>(["get", "pods"])).items.filter((p) => p.metadata.name.startsWith(`${app}-`));
  const web = await podsOf("web");
  const a = web[0]!;
  const b = web.find((p) => p.spec.nodeName !== a.spec.nodeName)!;
  const svc = (await lab.json<{ spec: { clusterIP: string } }>(["get", "service", "web"])).spec.clusterIP;
  const restarts = async () => (await lab.json<StatusReport>(["status"])).nodes.map((n) => n.agent?.restarts);
  const before = await restarts();
  const loop = (url: string) => lab.ok(["curl", a.metadata.name, url, "--count", "300", "--interval", "100ms", "--timeout", "2s"]);
  const loops = [loop(`http://${b.status?.podIP}:8080/`), loop(`http://${svc}/`)];
  await new Promise((r) => setTimeout(r, 1_000));
  const t0 = Date.now();
  for (const m of ["etcd-1", "etcd-2", "etcd-3"]) await lab.ok(["stop", m]);
  const a0 = Date.now();
  const refused = await lab.cli(["apply", "-f", "-"], deployment("during", 1));
  const took = Date.now() - a0;
  process.stdout.write(`  every member down: lab apply failed after ${took} ms: ${refused.stderr.trim()}\n`);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /etcd/);
  assert.ok(took < 10_000, `lab apply failed within 10 s (took ${took} ms)`);
  await new Promise((r) => setTimeout(r, Math.max(0, 20_000 - (Date.now() - t0))));
  for (const m of ["etcd-1", "etcd-2", "etcd-3"]) await lab.ok(["start", m]);
  const answers = (await Promise.all(loops)).flatMap((out) => lines(out));
  assert.equal(answers.length, 600);
  assert.deepEqual(
    answers.filter((x) => x.error),
    [],
    "every request answered while etcd was down",
  );
  await lab.ok(["apply", "-f", "-"], deployment("during", 1));
  assert.deepEqual(
    (await podsOf("during")).map((p) => p.status?.phase),
    ["Running"],
  );
  assert.deepEqual(await restarts(), before, "no agent restarted");
  assert.deepEqual(
    (await lab.json<StatusReport>(["status"])).nodes.map((n) => n.agent?.ready),
    [true, true, true],
    "every agent resynced",
  );
}

test(
  "the lab on etcd: pods, services and vxlan agents; status, security, a member killed and held down",
  { timeout: 480_000 },
  async () => {
    await withLab(
      3,
      async (lab) => {
        await sharedCases(lab, "vxlan");
        // Each agent heartbeats (its node's Lease), and the controllers make its Node Ready by it.
        await waitFor(
          "every Node Ready by its agent's lease",
          async () => {
            const nodes = (await lab.json<{ items: Node[] }>(["get", "nodes"])).items;
            const ready = (n: Node) =>
              (n.status?.conditions as { type: string; status: string; reason?: string }[] | undefined)?.some(
                (c) => c.type === "Ready" && c.status === "True" && c.reason === "AgentReady",
              );
            return nodes.length === 3 && nodes.every((n) => n.metadata.annotations?.["podnet.io/heartbeat"] === "lease" && ready(n));
          },
          20_000,
        );

        const report = await lab.json<StatusReport>(["status"]);
        const up = await members(lab);
        assert.deepEqual(
          up.map((m) => [m.name, m.endpoint, m.running, m.healthy]),
          [1, 2, 3].map((i) => [`etcd-${i}`, `https://172.18.0.${1 + i}:2379`, true, true]),
        );
        assert.deepEqual(
          report.nodes.map((n) => [n.name, n.agent?.running, n.agent?.ready]),
          [1, 2, 3].map((i) => [`node-${i}`, true, true]),
        );

        // A pod reaches a member's port, but without a client certificate it gets nothing.
        const pod = (await lab.json<{ items: Pod[] }>(["get", "pods"])).items[0]!.metadata.name;
        const fromPod = await etcdctl(lab, lab.podNetns(pod), undefined, ["get", "/podnet/", "--prefix", "--keys-only"]);
        assert.notEqual(fromPod.code, 0, "a pod without a certificate reads nothing");
        assert.doesNotMatch(fromPod.out, /\/podnet\/v1\//);
        // Per-component identities: a node's certificate reads, writes its own Node, and cannot write a Deployment.
        const node1 = lab.nodeNetns("node-1");
        assert.match((await etcdctl(lab, node1, "node-node-1", ["get", "/podnet/v1/core/Node/_/node-2", "--keys-only"])).out, /node-2/);
        const forged = await etcdctl(lab, node1, "node-node-1", ["put", "/podnet/v1/apps/Deployment/default/forged", "{}"]);
        assert.notEqual(forged.code, 0);
        assert.match(forged.out, /permission denied/);
        assert.match((await etcdctl(lab, node1, "node-node-1", ["put", "/podnet/v1/core/Node/_/node-2", "{}"])).out, /permission denied/);

        // kill -9 of a member: applies keep working on the other two; the supervisor restarts it and it rejoins.
        const victim = up[1]!;
        process.kill(victim.pid ?? 0, "SIGKILL");
        await lab.ok(["apply", "-f", "-"], deployment("after", 2));
        const after = (await lab.json<{ items: Pod[] }>(["get", "pods"])).items.filter((p) => p.metadata.name.startsWith("after-"));
        assert.deepEqual(
          after.map((p) => p.status?.phase),
          ["Running", "Running"],
        );
        await waitFor(
          "etcd-2 to be restarted and to answer",
          async () => {
            const m = (await members(lab)).find((x) => x.name === "etcd-2");
            return m !== undefined && m.pid !== victim.pid && m.restarts >= 1 && m.healthy;
          },
          30_000,
        );

        // Two controller replicas, one leader; kill -9 of it: the other leads, and acts on a change no lab command made.
        const leaders = async () => (await lab.json<StatusReport>(["status"])).controllers.filter((c) => c.running && c.leader);
        await waitFor("one controller to lead", async () => (await leaders()).length === 1, 15_000);
        const [leader] = await leaders();
        const t0 = Date.now();
        process.kill(leader!.pid ?? 0, "SIGKILL");
        // The supervisor restarts the killed replica within about a second, before its 2 s lease runs
        // out, so both replicas race for the lead when it does: either may win, but not the dead process.
        await waitFor("another controller process to lead", async () => (await leaders()).some((c) => c.pid !== leader!.pid), 15_000);
        const [next] = await leaders();
        const who = next?.name === leader!.name ? `its restarted self (pid ${next?.pid})` : `the other replica, ${next?.name}`;
        process.stdout.write(`  after kill -9 of ${leader!.name}, ${who} led in ${Date.now() - t0} ms (lease 2 s)\n`);
        const direct = {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: "direct", namespace: "default", uid: "6f1c2a52-0000-4000-8000-000000000001" },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: "direct" } },
            template: { metadata: { labels: { app: "direct" } }, spec: { containers: [{ name: "c", image: "echo" }] } },
          },
        };
        const put = await etcdctl(lab, lab.nodeNetns("node-1"), "controller-2", [
          "put",
          "/podnet/v1/apps/Deployment/default/direct",
          JSON.stringify(direct),
        ]);
        assert.equal(put.code, 0, put.out);
        await waitFor(
          "the leading controller to create the Deployment's pods",
          async () =>
            (await lab.json<{ items: Pod[] }>(["get", "pods"])).items.filter((p) => p.metadata.name.startsWith("direct-")).length === 2,
          20_000,
        );

        // lab stop holds a member down; the cluster keeps a quorum; lab start brings it back.
        assert.equal((await lab.ok(["stop", "etcd-3"])).trim(), "etcd-3 stopped");
        await new Promise((r) => setTimeout(r, 2_000));
        const held = (await members(lab)).find((x) => x.name === "etcd-3");
        assert.deepEqual([held?.running, held?.held], [false, true], "held down: not restarted");
        assert.match(await lab.ok(["status"]), /etcd-3 DEAD \(pid \d+\) held down by lab stop/);
        await lab.ok(["apply", "-f", "-"], deployment("after", 3));
        await lab.ok(["start", "etcd-3"]);
        await waitFor("etcd-3 to answer again", async () => (await members(lab)).every((m) => m.healthy), 30_000);

        // Only the leader writes what controllers write: with both replicas held down, an applied
        // Deployment gets no pods and lab apply fails naming them; once they are back, the same
        // (unchanged) apply finds the pods the leader made and runs them.
        for (const c of ["controller/1", "controller/2"]) await lab.ok(["stop", c]);
        const leaderless = await lab.cli(["apply", "-f", "-"], deployment("leaderless", 2));
        process.stdout.write(`  both controllers held down: ${leaderless.stderr.trim()}
`);
        assert.notEqual(leaderless.code, 0);
        assert.match(leaderless.stderr, /no controller leader did within 20 s \(controller-1: held down; controller-2: held down;/);
        const made = async () =>
          (await lab.json<{ items: Pod[] }>(["get", "pods"])).items.filter((p) => p.metadata.name.startsWith("leaderless-"));
        assert.deepEqual(await made(), [], "no pods without a controller leader");
        for (const c of ["controller/1", "controller/2"]) await lab.ok(["start", c]);
        await lab.ok(["apply", "-f", "-"], deployment("leaderless", 2));
        assert.deepEqual(
          (await made()).map((p) => p.status?.phase),
          ["Running", "Running"],
        );

        await allMembersDown(lab);
      },
      ["--datastore", "etcd", "--node-agent", "--routing-mode", "vxlan"],
    );
  },
);
