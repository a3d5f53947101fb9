import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { listNetns } from "../../src/iproute/netns.js";
import type { Node, Pod, Service } from "../../src/model/types.js";
import { cidrContains, parseCIDR } from "../../src/util/ip.js";
import { diffLines, snapshotRootNetns } from "../rootns.js";
import { exec, REPO, TestLab, withLab } from "./helpers.js";

type List<T> = { kind: string; items: T[] };
const EXAMPLE = readFileSync(join(REPO, "examples/web.yaml"), "utf8");

test("a 2-node lab runs the example: pods in their node's CIDR, kubectl-shaped JSON, same-node traffic with the true client IP", async () => {
  const before = await snapshotRootNetns(exec);
  await withLab(2, async (lab) => {
    const applied = await lab.ok(["apply", "-f", "-"], EXAMPLE);
    assert.match(applied, /deployment.apps\/web created\nservice\/web created/);
    const pods = await lab.json<List<Pod>>(["get", "pods"]);
    assert.equal(pods.kind, "List");
    assert.equal(pods.items.length, 3);
    const nodes = await lab.json<List<Node>>(["get", "nodes"]);
    const cidrOf = new Map(nodes.items.map((n) => [n.metadata.name, n.spec.podCIDR!]));
    assert.deepEqual([...cidrOf.values()].sort(), ["10.244.0.0/24", "10.244.1.0/24"]);
    for (const p of pods.items) {
      assert.equal(p.status?.phase, "Running");
      assert.ok(
        cidrContains(parseCIDR(cidrOf.get(p.spec.nodeName!)!)!, p.status!.podIP!),
        `${p.status?.podIP} in ${p.spec.nodeName}'s CIDR`,
      );
    }
    assert.deepEqual(new Set(pods.items.map((p) => p.spec.nodeName)).size, 2, "pods are spread over both nodes");
    const svc = await lab.json<List<Service>>(["get", "services"]);
    assert.match(svc.items[0]!.spec.clusterIP!, /^10\.(9[6-9]|10[0-9]|11[01])\./);

    const from = pods.items.find((p) => pods.items.some((q) => q !== p && q.spec.nodeName === p.spec.nodeName))!;
    const to = pods.items.find((q) => q !== from && q.spec.nodeName === from.spec.nodeName)!;
    const out = await lab.ok(["curl", from.metadata.name, `http://${to.status!.podIP}:8080/`]);
    assert.match(out, /^HTTP\/1.1 200 OK/);
    const echo = JSON.parse(out.split("\n")[1]!) as { pod: string; client: string };
    assert.equal(echo.pod, to.metadata.name);
    assert.equal(echo.client, from.status!.podIP, "the echo saw the true client pod IP");
    const udp = JSON.parse(await lab.ok(["curl", from.metadata.name, `udp://${to.status!.podIP}:5353`])) as {
      client: string;
    };
    assert.equal(udp.client, from.status!.podIP);
    const ping = await lab.ok(["exec", from.metadata.name, "--", "ping", "-c1", "-W2", to.status!.podIP!]);
    assert.match(ping, /1 received/);

    const eps = await lab.ok(["get", "endpointslices"]);
    assert.match(eps, /8080,5353/);
  });
  assert.deepEqual(diffLines(before, await snapshotRootNetns(exec)), [], "root network namespace unchanged");
});

const BAD: [string, string][] = [
  ["unknown kind", "apiVersion: v1\nkind: Widget\nmetadata: {name: w}\n"],
  ["bad IP", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: 10.96.0.999, ports: [{port: 80}]}\n"],
  [
    "missing selector",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c}]}}}\n",
  ],
  ["name not a DNS label", "apiVersion: v1\nkind: Namespace\nmetadata: {name: Bad_Name}\n"],
  ["duplicate ports", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{name: a, port: 80}, {name: b, port: 80}]}\n"],
  [
    "shell metacharacters",
    'apiVersion: v1\nkind: Pod\nmetadata: {name: "x$(touch /tmp/pwned);`id`"}\nspec: {containers: [{name: c, ports: [{containerPort: 80}]}]}\n',
  ],
  ["YAML syntax", "apiVersion: v1\nkind: [Pod\n"],
  [
    "nodePort conflict",
    "apiVersion: v1\nkind: Service\nmetadata: {name: taken}\nspec: {type: NodePort, ports: [{port: 80, nodePort: 30080}]}\n",
  ],
  ["missing namespace", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: nowhere}\nspec: {ports: [{port: 80}]}\n"],
];

test("bad manifests exit non-zero with a clear message and change neither the state nor the dataplane", async () => {
  await withLab(1, async (lab) => {
    await lab.ok(
      ["apply", "-f", "-"],
      "apiVersion: v1\nkind: Service\nmetadata: {name: holder}\nspec: {type: NodePort, ports: [{port: 80, nodePort: 30080}]}\n",
    );
    const store = join(lab.stateDir, "labs", lab.name, "store.json");
    const state = readFileSync(store, "utf8");
    const netns = (await listNetns(exec, `pn-${lab.name}-`)).sort();
    for (const [what, text] of BAD) {
      const r = await lab.cli(["apply", "-f", "-"], text);
      assert.notEqual(r.code, 0, `${what}: exit code`);
      assert.match(r.stderr, /invalid|Unsupported|failed to parse|does not exist|allocated/, `${what}: ${r.stderr}`);
      assert.equal(readFileSync(store, "utf8"), state, `${what}: state unchanged`);
      assert.deepEqual((await listNetns(exec, `pn-${lab.name}-`)).sort(), netns, `${what}: dataplane unchanged`);
    }
  });
});

test("scaling a Deployment adds and removes pods before apply returns; delete removes them", async () => {
  await withLab(2, async (lab) => {
    await lab.ok(["apply", "-f", "-"], EXAMPLE.replace("replicas: 3", "replicas: 5"));
    const prefix = `pn-${lab.name}-pod-`;
    assert.equal((await listNetns(exec, prefix)).length, 5);
    await lab.ok(["apply", "-f", "-"], EXAMPLE.replace("replicas: 3", "replicas: 1"));
    assert.equal((await listNetns(exec, prefix)).length, 1);
    const slices = await lab.json<List<{ endpoints: unknown[] }>>(["get", "endpointslices"]);
    assert.equal(slices.items[0]?.endpoints.length, 1);
    const out = await lab.ok(["delete", "-f", "-"], EXAMPLE);
    assert.match(out, /deployment.apps\/web deleted/);
    assert.equal((await listNetns(exec, prefix)).length, 0);
  });
});

test("down is idempotent and cleans up after a lab whose state was lost mid-way", async () => {
  const lab = new TestLab();
  try {
    await lab.ok(["up", "--nodes", "1"]);
    await lab.ok(["apply", "-f", "-"], EXAMPLE.replace("replicas: 3", "replicas: 1"));
    // Simulate a crash that lost the lab's files: down must still find everything by name.
    // The node daemons keep writing status files meanwhile: retry like `rm -rf` racing a writer would.
    rmSync(join(lab.stateDir, "labs", lab.name), { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    assert.ok((await listNetns(exec, `pn-${lab.name}-`)).length >= 4);
    await lab.ok(["down"]);
    await lab.ok(["down"]);
    assert.deepEqual(await listNetns(exec, `pn-${lab.name}-`), []);
  } finally {
    await lab.down();
  }
});
