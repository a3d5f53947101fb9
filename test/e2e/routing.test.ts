/**
 * Cross-node pod networking proven with real packets, one shared suite for every routing backend
 * (host-gw, vxlan, bgp): in a 3-node lab with 2 pods per node, every pod reaches every pod, nodes
 * reach pods, Services reach endpoints on other nodes, egress is SNATed to the node IP while
 * pod-to-pod and pod-to-service traffic keeps its source, and nodes joining, leaving and crashing
 * converge. Then each backend's own promises: vxlan's device, MTU and "message too long"; BGP's
 * sessions, `proto bird` routes, withdrawal when BIRD stops and route reflectors; ipip render-only.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import type { Node, Pod, Service } from "../../src/model/types.js";
import { createNetns, deleteNetns } from "../../src/lab/netns.js";
import { ipipBatch } from "../../src/routing/ipip.js";
import { DEFAULT_ROUTING } from "../../src/routing/types.js";
import { exec, TestLab, withLab } from "./helpers.js";

type List<T> = { items: T[] };
interface Echo {
  pod?: string;
  node?: string;
  client?: string;
  bodyBytes?: number;
  error?: string;
}

const WEB = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 6
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: echo, image: echo, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
`;

const INTERNET = "http://198.51.100.10/";
const lines = (out: string): Echo[] => out.trim().split("\n").map((l) => JSON.parse(l) as Echo);

async function pods(lab: TestLab): Promise<Pod[]> {
  const l = await lab.json<List<Pod>>(["get", "pods"]);
  return l.items.filter((p) => p.status?.phase === "Running").sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

async function nodeIPs(lab: TestLab): Promise<Map<string, string>> {
  const l = await lab.json<List<Node>>(["get", "nodes"]);
  return new Map(l.items.map((n) => [n.metadata.name, n.status?.addresses?.find((a) => a.type === "InternalIP")?.address ?? ""]));
}

/** reachMatrix fetches every pod from every source and returns the failures, printing a summary. */
async function reachMatrix(lab: TestLab, sources: string[], targets: Pod[]): Promise<string[]> {
  const urls = targets.map((p) => `http://${p.status?.podIP}:8080/`);
  const bad: string[] = [];
  await Promise.all(
    sources.map(async (src) => {
      const r = await lab.cli(["curl", src, ...urls, "--timeout", "3000"]);
      lines(r.stdout).forEach((e, i) => {
        const want = targets[i]?.metadata.name;
        if (e.pod !== want) bad.push(`${src} -> ${want}: ${e.error ?? e.pod}`);
      });
    }),
  );
  console.log(`  reach matrix: ${sources.length * targets.length - bad.length}/${sources.length * targets.length} ok`);
  return bad;
}

async function nodeRun(lab: TestLab, node: string, argv: string[]): Promise<string> {
  return lab.ok(["exec-node", node, "--", ...argv]);
}

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** sharedCases run for every backend: the behaviour a user relies on whatever the mode. */
async function sharedCases(lab: TestLab, mode: string): Promise<void> {
  await lab.ok(["apply", "-f", "-"], WEB);
  const ps = await pods(lab);
  assert.equal(ps.length, 6);
  const perNode = new Map<string, number>();
  for (const p of ps) perNode.set(p.spec.nodeName ?? "", (perNode.get(p.spec.nodeName ?? "") ?? 0) + 1);
  assert.deepEqual([...perNode.values()], [2, 2, 2], `2 pods per node: ${[...perNode]}`);

  // Every pod reaches every pod (36 pairs, same node and across nodes) and keeps its source IP.
  assert.deepEqual(await reachMatrix(lab, ps.map((p) => p.metadata.name), ps), [], `${mode}: pod-to-pod`);
  const [first] = ps;
  const across = ps.find((p) => p.spec.nodeName !== first?.spec.nodeName);
  const seen = lines(await lab.ok(["curl", first!.metadata.name, `http://${across?.status?.podIP}:8080/`, `http://${across?.status?.podIP}:8080/`]));
  assert.equal(seen[0]?.client, first?.status?.podIP, "pod-to-pod traffic is not SNATed");

  // Nodes reach every pod.
  assert.deepEqual(await reachMatrix(lab, ["node/node-1", "node/node-2", "node/node-3"], ps), [], `${mode}: node-to-pod`);

  // A Service reaches endpoints on the other nodes, and keeps the pod's source.
  const svc = (await lab.json<Service>(["get", "service", "web"])).spec.clusterIP;
  const viaSvc = lines(await lab.ok(["curl", first!.metadata.name, `http://${svc}/`, "--count", "30"]));
  const nodes = new Set(viaSvc.map((e) => e.node));
  assert.ok(nodes.size >= 2 && [...nodes].some((n) => n !== first?.spec.nodeName), `service spread to other nodes: ${[...nodes]}`);
  const others = viaSvc.filter((e) => e.pod !== first?.metadata.name); // hairpin to itself is masqueraded, as kube-proxy does
  assert.ok(others.length > 0 && others.every((e) => e.client === first?.status?.podIP), `pod-to-service traffic is not SNATed: ${JSON.stringify(others.map((e) => e.client))}`);

  // Egress to the internet leaves with the node's IP (natOutgoing).
  const ips = await nodeIPs(lab);
  for (const p of [first!, across!]) {
    const [out] = lines(await lab.ok(["curl", p.metadata.name, INTERNET, INTERNET]));
    assert.equal(out?.client, ips.get(p.spec.nodeName ?? ""), `egress of ${p.metadata.name} carries its node's IP`);
  }
}

/** membershipCases add, remove and crash nodes; every remaining node must converge. */
async function membershipCases(lab: TestLab, blockOf: (lab: TestLab, node: string) => Promise<string[]>): Promise<void> {
  await lab.ok(["node", "add"]);
  let ps = await pods(lab);
  assert.deepEqual(await reachMatrix(lab, ["node/node-4"], ps), [], "a new node reaches every pod");
  const block = (await lab.json<Node>(["get", "node", "node-4"])).spec.podCIDR ?? "";
  for (const n of ["node-1", "node-2", "node-3"]) assert.ok((await blockOf(lab, n)).includes(block), `${n} routes to node-4's ${block}`);

  await lab.ok(["node", "remove", "node-4"]);
  for (const n of ["node-1", "node-2", "node-3"]) {
    assert.ok(!(await blockOf(lab, n)).includes(block), `${n} forgot node-4's block`);
    // Routes, permanent neighbours and FDB entries are podnet's; the kernel's ARP cache ages out on its own.
    const all =
      (await nodeRun(lab, n, ["ip", "route"])) + (await nodeRun(lab, n, ["ip", "neigh", "show", "nud", "permanent"])) + (await nodeRun(lab, n, ["bridge", "fdb"]));
    assert.ok(!all.includes("172.18.0.14"), `${n} keeps nothing of node-4:\n${all}`);
  }

  // A crashed node comes back: its pods are recreated and everything reaches everything again.
  await lab.ok(["node", "restart", "node-2"]);
  ps = await pods(lab);
  assert.equal(ps.length, 6);
  assert.deepEqual(await reachMatrix(lab, ps.map((p) => p.metadata.name), ps), [], "after node-2 restarted");
}

async function kernelRoutes(lab: TestLab, node: string, proto: string): Promise<string[]> {
  const r = JSON.parse(await nodeRun(lab, node, ["ip", "-j", "route", "show", "proto", proto])) as { dst: string }[];
  return r.map((x) => x.dst);
}

test("host-gw: all pairs, egress, node add/remove/restart", { timeout: 240_000 }, async () => {
  await withLab(
    3,
    async (lab) => {
      await sharedCases(lab, "host-gw");
      const routes = await nodeRun(lab, "node-1", ["ip", "route", "show", "proto", "81"]);
      assert.match(routes, /^10\.244\.1\.0\/24 via 172\.18\.0\.12 dev eth0/m);
      assert.match(routes, /^10\.244\.2\.0\/24 via 172\.18\.0\.13 dev eth0/m);
      await membershipCases(lab, (l, n) => kernelRoutes(l, n, "81"));
    },
    ["--routing", "host-gw"],
  );
});

test("vxlan: all pairs, device and entries, MTU, node add/remove", { timeout: 240_000 }, async () => {
  await withLab(
    3,
    async (lab) => {
      await sharedCases(lab, "vxlan");
      const dev = await nodeRun(lab, "node-1", ["ip", "-d", "link", "show", "podnet.1"]);
      assert.match(dev, /mtu 1450 /);
      assert.match(dev, /vxlan id 1 local 172\.18\.0\.11 dev eth0 .*dstport 8472 nolearning/);
      const routes = await nodeRun(lab, "node-1", ["ip", "route", "show", "proto", "81"]);
      assert.match(routes, /^10\.244\.1\.0\/24 via 10\.244\.1\.0 dev podnet\.1 .*onlink/m);
      assert.match(await nodeRun(lab, "node-1", ["ip", "neigh", "show", "dev", "podnet.1"]), /^10\.244\.1\.0 lladdr \S+ PERMANENT/m);
      assert.match(await nodeRun(lab, "node-1", ["bridge", "fdb", "show", "dev", "podnet.1"]), / dst 172\.18\.0\.12 self permanent/);

      const ps = await pods(lab);
      const a = ps.find((p) => p.spec.nodeName === "node-1")!;
      const b = ps.find((p) => p.spec.nodeName === "node-3")!;
      assert.match(await lab.ok(["exec", a.metadata.name, "--", "ip", "link", "show", "eth0"]), /mtu 1450 /, "pod MTU follows the overlay");
      // 8 KB both ways across the overlay.
      const [up] = lines(await lab.ok(["curl", a.metadata.name, `http://${b.status?.podIP}:8080/`, "-d", "x".repeat(8192), "--count", "1"]));
      assert.equal(up?.bodyBytes, 8192);
      const down = await lab.ok(["curl", a.metadata.name, `http://${b.status?.podIP}:8080/bytes/8192`]);
      assert.ok(down.length >= 8192, `8 KB response (${down.length} bytes)`);
      // ping -M do at exactly the pod MTU (1450 - 28 bytes of headers) passes; one byte more fails fast.
      const ping = (size: number) => lab.cli(["exec", a.metadata.name, "--", "ping", "-c", "1", "-W", "2", "-M", "do", "-s", String(size), b.status?.podIP ?? ""]);
      assert.equal((await ping(1422)).code, 0, "1450-byte packet fits");
      const t0 = Date.now();
      const big = await ping(1423);
      assert.notEqual(big.code, 0);
      assert.match(big.stderr + big.stdout, /message too long/);
      assert.ok(Date.now() - t0 < 2000, "too-big fails at once, not by timeout");

      await membershipCases(lab, (l, n) => kernelRoutes(l, n, "81"));
      for (const n of ["node-1", "node-3"])
        assert.doesNotMatch(await nodeRun(lab, n, ["bridge", "fdb", "show", "dev", "podnet.1"]), /172\.18\.0\.14/);
    },
    ["--routing", "vxlan"],
  );
});

test("bgp: all pairs, Established sessions, proto bird routes, withdrawal, node add/remove", { timeout: 240_000 }, async () => {
  await withLab(
    3,
    async (lab) => {
      await sharedCases(lab, "bgp");
      const protocols = await nodeRun(lab, "node-1", ["birdc", "show", "protocols"]);
      assert.match(protocols, /node_node_2\s+BGP\s+.*Established/);
      assert.match(protocols, /node_node_3\s+BGP\s+.*Established/);
      const routes = await nodeRun(lab, "node-1", ["ip", "route"]);
      assert.match(routes, /^10\.244\.1\.0\/24 via 172\.18\.0\.12 dev eth0 proto bird/m);
      assert.match(routes, /^blackhole 10\.244\.0\.0\/24 proto bird/m);

      // Stopping BIRD on node-2 withdraws its block everywhere; the next reconcile restarts it.
      await nodeRun(lab, "node-2", ["birdc", "down"]);
      await waitFor("node-2's routes to be withdrawn", async () => !(await kernelRoutes(lab, "node-1", "bird")).includes("10.244.1.0/24"));
      assert.ok(!(await kernelRoutes(lab, "node-3", "bird")).includes("10.244.1.0/24"));
      await lab.ok(["apply", "-f", "-"], "apiVersion: v1\nkind: Namespace\nmetadata: {name: poke}\n");
      assert.ok((await kernelRoutes(lab, "node-1", "bird")).includes("10.244.1.0/24"), "BIRD restarted and re-announced");

      await membershipCases(lab, (l, n) => kernelRoutes(l, n, "bird"));
      assert.doesNotMatch(await nodeRun(lab, "node-1", ["birdc", "show", "protocols"]), /node_node_4/);
    },
    ["--routing", "bgp"],
  );
});

test("bgp with a route reflector: clients peer only with it and still learn every block", { timeout: 120_000 }, async () => {
  await withLab(
    4,
    async (lab) => {
      const client = await nodeRun(lab, "node-3", ["birdc", "show", "protocols"]);
      assert.match(client, /node_node_1\s+BGP\s+.*Established/);
      assert.doesNotMatch(client, /node_node_2|node_node_4/);
      assert.deepEqual((await kernelRoutes(lab, "node-3", "bird")).sort(), ["10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24", "10.244.3.0/24"]);
      assert.match(await nodeRun(lab, "node-3", ["ip", "route", "show", "10.244.3.0/24"]), /via 172\.18\.0\.14/, "reflected routes keep the origin's next hop");
    },
    ["--routing", "bgp", "--bgp-route-reflectors", "node-1"],
  );
});

test("ipip: the lab refuses it with the reason; rendered routes resolve through tunl0", { timeout: 60_000 }, async () => {
  const lab = new TestLab();
  try {
    const r = await lab.cli(["up", "--nodes", "1", "--routing", "ipip"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no IPIP support/);
  } finally {
    await lab.down();
  }
  // Simulation: a veth named tunl0 stands in for the IPIP device this kernel lacks (no dummy module either).
  const ns = `pn-t${randomBytes(4).toString("hex")}-ipip`;
  await createNetns(exec, ns);
  try {
    await exec.run({ argv: ["ip", "link", "add", "tunl0", "type", "veth", "peer", "name", "tunl0p"], netns: ns });
    const nodes = [1, 2, 3].map((i) => ({ name: `node-${i}`, ip: `172.18.0.${10 + i}`, blocks: [`10.244.${i - 1}.0/24`] }));
    await exec.run({ argv: ["ip", "-batch", "-"], netns: ns, stdin: ipipBatch(nodes[0]!, nodes, { ...DEFAULT_ROUTING, mode: "ipip" }) });
    const got = await exec.run({ argv: ["ip", "route", "get", "10.244.2.7"], netns: ns });
    assert.match(got.stdout, /10\.244\.2\.7 via 172\.18\.0\.13 dev tunl0/);
    const own = await exec.run({ argv: ["ip", "route", "get", "10.244.0.9"], netns: ns, okCodes: [0, 2] });
    assert.match(own.stdout + own.stderr, /blackhole|Invalid argument|No route/);
  } finally {
    await deleteNetns(exec, ns);
  }
});
