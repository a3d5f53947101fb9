/**
 * Faults on the lab on etcd (issue 20), with real traffic: an agent killed with -9 under a client
 * loop (no request fails; restarted, its node's rules and routes are as before); an agent stopped
 * past its lease (its Node NotReady, its endpoints not ready so the ClusterIP stops sending there,
 * the centralized gateway moves, and all comes back with the agent); a datastore emptied under a
 * client loop (every agent reports that it is not the cluster's and keeps the data plane; restored
 * as Calico's datastoreReady procedure does it, everything resumes and the next change applies).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { StatusReport } from "../../src/lab/statusreport.js";
import type { KubeObject, Node, Pod, Subnet } from "../../src/model/types.js";
import { etcdKey, parseEtcdKey } from "../../src/store/etcdkeys.js";
import { etcdctl } from "./etcdlab.js";
import { type TestLab, waitFor, withLab } from "./helpers.js";
import { lines, nodeRun, WEB } from "./routing-cases.js";

const MANIFEST = `${WEB}---
apiVersion: v1
kind: Namespace
metadata: {name: central}
---
apiVersion: podnet.io/v1
kind: Subnet
metadata: {name: central}
spec: {cidrBlock: 10.77.0.0/16, namespaces: [central], gatewayType: centralized, gatewayNode: "node-2,node-3"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: central}
spec:
  replicas: 3
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec: {containers: [{name: e, ports: [{containerPort: 8080}]}]}
`;

const INTERNET = "http://198.51.100.10/";
type List<T> = { items: T[] };
type Condition = { type: string; status: string };

const pods = async (lab: TestLab, ns = "default") => (await lab.json<List<Pod>>(["get", "pods", "-n", ns])).items;
const status = (lab: TestLab) => lab.json<StatusReport>(["status"]);
const nodeReady = async (lab: TestLab, node: string) =>
  ((await lab.json<Node>(["get", "node", node])).status?.conditions as Condition[] | undefined)?.find((c) => c.type === "Ready")?.status;
const allReady = async (lab: TestLab) => (await status(lab)).nodes.every((n) => n.agent?.ready);

/** loops starts two client loops from a pod on node-1: to a pod on node-3 and to the web ClusterIP, 10 requests/s each. */
async function loops(lab: TestLab, count: number): Promise<() => Promise<void>> {
  const web = await pods(lab);
  const a = web.find((p) => p.spec.nodeName === "node-1")!;
  const b = web.find((p) => p.spec.nodeName === "node-3")!;
  const svc = (await lab.json<{ spec: { clusterIP: string } }>(["get", "service", "web"])).spec.clusterIP;
  const loop = (url: string) => lab.ok(["curl", a.metadata.name, url, "--count", String(count), "--interval", "100ms", "--timeout", "2s"]);
  const running = [loop(`http://${b.status?.podIP}:8080/`), loop(`http://${svc}/`)];
  await new Promise((r) => setTimeout(r, 1_000));
  return async () => {
    const answers = (await Promise.all(running)).flatMap((out) => lines(out));
    assert.equal(answers.length, 2 * count);
    assert.deepEqual(
      answers.filter((x) => x.error),
      [],
      "every request answered",
    );
  };
}

/** dataPlane is a node's rules and routes, without packet counters. */
async function dataPlane(lab: TestLab, node: string): Promise<string> {
  const rules = (await nodeRun(lab, node, ["iptables-save"])).replace(/^#.*\n/gm, "").replace(/\[\d+:\d+\]/g, "[0:0]");
  return `${rules}${await nodeRun(lab, node, ["ip", "route", "show", "table", "all"])}`;
}

/** agentKilled: kill -9 of node-2's agent under the client loops; restarted, it leaves node-2's data plane as it was. */
async function agentKilled(lab: TestLab): Promise<void> {
  const before = await dataPlane(lab, "node-2");
  const agent = (await status(lab)).nodes.find((n) => n.name === "node-2")!.agent!;
  const done = await loops(lab, 100);
  const t0 = Date.now();
  process.kill(agent.pid ?? 0, "SIGKILL");
  await waitFor("node-2's agent to be restarted and in step", async () => {
    const a = (await status(lab)).nodes.find((n) => n.name === "node-2")?.agent;
    return a !== undefined && a !== null && a.pid !== agent.pid && a.ready;
  });
  process.stdout.write(`  node-2's agent killed with -9: restarted and in step after ${Date.now() - t0} ms\n`);
  await done();
  assert.equal(await dataPlane(lab, "node-2"), before, "no duplicate or stale rule or route");
}

/** egressVia is the set of addresses the outside sees for the central pods not on `skip`. */
async function egressVia(lab: TestLab, skip: string): Promise<string[]> {
  const seen = new Set<string>();
  for (const p of (await pods(lab, "central")).filter((x) => x.spec.nodeName !== skip)) {
    // Two URLs: one answer per line, as JSON.
    const [e] = lines(await lab.ok(["curl", "-n", "central", p.metadata.name, INTERNET, INTERNET]));
    seen.add(e?.client ?? `${e?.error}`);
  }
  return [...seen];
}

/** agentPastLease: node-2's agent held down past its 10 s lease, then started again. */
async function agentPastLease(lab: TestLab): Promise<void> {
  const gateway = async () => (await lab.json<Subnet>(["get", "subnet", "central"])).status?.activeGateway;
  assert.equal(await gateway(), "node-2");
  assert.deepEqual(await egressVia(lab, "node-2"), ["172.18.0.12"]);
  const t0 = Date.now();
  await lab.ok(["stop", "agent/node-2"]);
  await waitFor("node-2 to turn NotReady", async () => (await nodeReady(lab, "node-2")) === "Unknown", 40_000);
  process.stdout.write(`  node-2's agent stopped: NotReady after ${Date.now() - t0} ms (lease 10 s)\n`);
  const onNode2 = new Set((await pods(lab)).filter((p) => p.spec.nodeName === "node-2").map((p) => p.status?.podIP));
  await waitFor("node-2's endpoints to be not ready", async () => {
    const slices = await lab.json<List<KubeObject & { endpoints: { addresses: string[]; conditions: { ready: boolean } }[] }>>([
      "get",
      "endpointslices",
    ]);
    const eps = slices.items.flatMap((s) => s.endpoints ?? []);
    return eps.filter((e) => onNode2.has(e.addresses[0])).every((e) => !e.conditions.ready);
  });
  await waitFor("the gateway to move to node-3", async () => (await gateway()) === "node-3");
  // The ClusterIP sends nowhere but the ready endpoints, and central egress leaves by node-3.
  const src = (await pods(lab)).find((p) => p.spec.nodeName === "node-1")!;
  const svc = (await lab.json<{ spec: { clusterIP: string } }>(["get", "service", "web"])).spec.clusterIP;
  await waitFor("node-1's proxy to drop node-2's endpoints", async () => {
    const got = lines(await lab.ok(["curl", src.metadata.name, ...Array.from({ length: 20 }, () => `http://${svc}/`)]));
    return got.every((e) => !e.error && e.node !== "node-2");
  });
  await waitFor("central egress by node-3", async () => JSON.stringify(await egressVia(lab, "node-2")) === '["172.18.0.13"]');

  await lab.ok(["start", "agent/node-2"]);
  await waitFor("node-2 Ready again", async () => (await nodeReady(lab, "node-2")) === "True", 30_000);
  await waitFor("the gateway back on node-2", async () => (await gateway()) === "node-2");
  await waitFor("every agent in step", () => allReady(lab), 30_000);
  await waitFor("central egress by node-2 again", async () => JSON.stringify(await egressVia(lab, "node-2")) === '["172.18.0.12"]');
}

/** Saved is one key and its value, as etcdctl -w json gives them. */
type Saved = { key: string; value?: string };

/** emptied: every podnet key deleted under the client loops, then restored with datastoreReady false until the nodes' leases are back. */
async function emptied(lab: TestLab): Promise<void> {
  const ctl = async (args: string[]) => {
    const r = await etcdctl(lab, lab.nodeNetns("node-1"), "admin", args);
    assert.equal(r.code, 0, `etcdctl ${args[0]}: ${r.out}`);
    return r.out;
  };
  const saved = (JSON.parse(await ctl(["get", "/podnet/v1/", "--prefix", "-w", "json"])) as { kvs: Saved[] }).kvs.map((kv) => ({
    key: Buffer.from(kv.key, "base64").toString(),
    value: Buffer.from(kv.value ?? "", "base64").toString(),
  }));
  const planes = await Promise.all(["node-1", "node-2", "node-3"].map((n) => dataPlane(lab, n)));
  const done = await loops(lab, 250);
  await ctl(["del", "/podnet/v1/", "--prefix"]);
  await waitFor("every agent to say the datastore is not the cluster's", async () =>
    (await status(lab)).nodes.every((n) => /no ClusterInformation "default"/.test(n.agent?.error ?? "")),
  );
  assert.deepEqual(await Promise.all(["node-1", "node-2", "node-3"].map((n) => dataPlane(lab, n))), planes, "data plane kept");

  // Restore: the record first, saying not ready; then the objects (the leases' objects are their holders' to write).
  const identity = etcdKey({ kind: "ClusterInformation", name: "default" });
  const record = (ready: boolean) => {
    const v = JSON.parse(saved.find((s) => s.key === identity)!.value) as { spec: object };
    return JSON.stringify({ ...v, spec: { ...v.spec, datastoreReady: ready } });
  };
  await ctl(["put", identity, record(false)]);
  await waitFor("the agents to read datastoreReady: false", async () =>
    (await status(lab)).nodes.every((n) => /datastoreReady: false/.test(n.agent?.error ?? "")),
  );
  for (const s of saved) {
    const key = parseEtcdKey(s.key);
    if (key && key.kind !== "Lease" && s.key !== identity) await ctl(["put", s.key, s.value]);
  }
  await waitFor("the nodes' leases to be written again by their agents", async () => {
    const keys = await ctl(["get", "/podnet/v1/coordination.k8s.io/Lease/kube-node-lease/", "--prefix", "--keys-only"]);
    return keys.split("\n").filter(Boolean).length === 3;
  });
  await ctl(["put", identity, record(true)]);
  await waitFor("every agent in step again", () => allReady(lab), 30_000);
  await done();
  assert.deepEqual(await Promise.all(["node-1", "node-2", "node-3"].map((n) => dataPlane(lab, n))), planes, "the same data plane");
  await lab.ok(["apply", "-f", "-"], MANIFEST.replace("replicas: 6", "replicas: 7"));
  assert.equal((await pods(lab)).filter((p) => p.status?.phase === "Running").length, 7, "the next change applies");
}

test("faults on the lab on etcd: an agent killed, an agent past its lease, an emptied datastore", { timeout: 600_000 }, async () => {
  await withLab(
    3,
    async (lab) => {
      await lab.ok(["apply", "-f", "-"], MANIFEST);
      await waitFor("every agent in step", () => allReady(lab), 30_000);
      await agentKilled(lab);
      await agentPastLease(lab);
      await emptied(lab);
    },
    ["--datastore", "etcd", "--node-agent", "--routing-mode", "vxlan"],
  );
});
