/**
 * The shared cases of the routing e2e suites. Cross-node pod networking proven with real packets, one shared suite for every routing backend
 * (host-gw, vxlan, bgp): in a 3-node lab with 2 pods per node, every pod reaches every pod, nodes
 * reach pods, Services reach endpoints on other nodes, egress is SNATed to the node IP while
 * pod-to-pod and pod-to-service traffic keeps its source, and nodes joining, leaving and crashing
 * converge. Then each backend's own promises: vxlan's device, MTU and "message too long"; BGP's
 * sessions, `proto bird` routes, withdrawal when BIRD stops and route reflectors; ipip render-only.
 */
import assert from "node:assert/strict";
import type { Node, Pod, Service } from "../../src/model/types.js";
import type { TestLab } from "./helpers.js";

type List<T> = { items: T[] };
interface Echo {
  pod?: string;
  node?: string;
  client?: string;
  bodyBytes?: number;
  error?: string;
}

/** WEB is a Deployment of 6 echo pods and its Service "web" (port 80 to the pods' "http" port). */
export const WEB = `
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
/** lines parses one echo answer per line. */
export const lines = (out: string): Echo[] =>
  out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Echo);

export async function pods(lab: TestLab): Promise<Pod[]> {
  const l = await lab.json<List<Pod>>(["get", "pods"]);
  return l.items.filter((p) => p.status?.phase === "Running").sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

export async function nodeIPs(lab: TestLab): Promise<Map<string, string>> {
  const l = await lab.json<List<Node>>(["get", "nodes"]);
  return new Map(l.items.map((n) => [n.metadata.name, n.status?.addresses?.find((a) => a.type === "InternalIP")?.address ?? ""]));
}

/** podIPv6 is a pod's IPv6 address (dual-stack labs). */
export const podIPv6 = (p: Pod): string | undefined => p.status?.podIPs?.find((i) => i.ip.includes(":"))?.ip;

/** httpURL is an http:// URL for an address of either family. */
export const httpURL = (ip: string | undefined, port: number, path = "/"): string =>
  `http://${ip?.includes(":") ? `[${ip}]` : ip}:${port}${path}`;

/** reachMatrix fetches every pod (at the address `ipOf` picks, its podIP by default) from every source and returns the failures, printing a summary. */
export async function reachMatrix(
  lab: TestLab,
  sources: string[],
  targets: Pod[],
  ipOf: (p: Pod) => string | undefined = (p) => p.status?.podIP,
): Promise<string[]> {
  const urls = targets.map((p) => httpURL(ipOf(p), 8080));
  const bad: string[] = [];
  await Promise.all(
    sources.map(async (src) => {
      const r = await lab.cli(["curl", src, ...urls, "--timeout", "3s"]);
      lines(r.stdout).forEach((e, i) => {
        const want = targets[i]?.metadata.name;
        if (e.pod !== want) bad.push(`${src} -> ${want}: ${e.error ?? e.pod}`);
      });
    }),
  );
  console.log(`  reach matrix: ${sources.length * targets.length - bad.length}/${sources.length * targets.length} ok`);
  return bad;
}

export async function nodeRun(lab: TestLab, node: string, argv: string[]): Promise<string> {
  return lab.ok(["exec-node", node, "--", ...argv]);
}

/** sharedCases run for every backend: the behaviour a user relies on whatever the mode. */
export async function sharedCases(lab: TestLab, mode: string): Promise<void> {
  await lab.ok(["apply", "-f", "-"], WEB);
  const ps = await pods(lab);
  assert.equal(ps.length, 6);
  const perNode = new Map<string, number>();
  for (const p of ps) perNode.set(p.spec.nodeName ?? "", (perNode.get(p.spec.nodeName ?? "") ?? 0) + 1);
  assert.deepEqual([...perNode.values()], [2, 2, 2], `2 pods per node: ${[...perNode]}`);

  // Every pod reaches every pod (36 pairs, same node and across nodes) and keeps its source IP.
  assert.deepEqual(
    await reachMatrix(
      lab,
      ps.map((p) => p.metadata.name),
      ps,
    ),
    [],
    `${mode}: pod-to-pod`,
  );
  const [first] = ps;
  const across = ps.find((p) => p.spec.nodeName !== first?.spec.nodeName);
  const seen = lines(
    await lab.ok(["curl", first!.metadata.name, `http://${across?.status?.podIP}:8080/`, `http://${across?.status?.podIP}:8080/`]),
  );
  assert.equal(seen[0]?.client, first?.status?.podIP, "pod-to-pod traffic is not SNATed");

  // Nodes reach every pod.
  assert.deepEqual(await reachMatrix(lab, ["node/node-1", "node/node-2", "node/node-3"], ps), [], `${mode}: node-to-pod`);

  // A Service reaches endpoints on the other nodes, and keeps the pod's source.
  const svc = (await lab.json<Service>(["get", "service", "web"])).spec.clusterIP;
  const viaSvc = lines(await lab.ok(["curl", first!.metadata.name, `http://${svc}/`, "--count", "30"]));
  const nodes = new Set(viaSvc.map((e) => e.node));
  assert.ok(nodes.size >= 2 && [...nodes].some((n) => n !== first?.spec.nodeName), `service spread to other nodes: ${[...nodes]}`);
  const others = viaSvc.filter((e) => e.pod !== first?.metadata.name); // hairpin to itself is masqueraded, as kube-proxy does
  assert.ok(
    others.length > 0 && others.every((e) => e.client === first?.status?.podIP),
    `pod-to-service traffic is not SNATed: ${JSON.stringify(others.map((e) => e.client))}`,
  );

  // Egress to the internet leaves with the node's IP (natOutgoing).
  const ips = await nodeIPs(lab);
  for (const p of [first!, across!]) {
    const [out] = lines(await lab.ok(["curl", p.metadata.name, INTERNET, INTERNET]));
    assert.equal(out?.client, ips.get(p.spec.nodeName ?? ""), `egress of ${p.metadata.name} carries its node's IP`);
  }
}

/** membershipCases add, remove and crash nodes; every remaining node must converge. */
export async function membershipCases(lab: TestLab, blockOf: (lab: TestLab, node: string) => Promise<string[]>): Promise<void> {
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
      (await nodeRun(lab, n, ["ip", "route"])) +
      (await nodeRun(lab, n, ["ip", "neigh", "show", "nud", "permanent"])) +
      (await nodeRun(lab, n, ["bridge", "fdb"]));
    assert.ok(!all.includes("172.18.0.14"), `${n} keeps nothing of node-4:\n${all}`);
  }

  // A crashed node comes back: its pods are recreated and everything reaches everything again.
  await lab.ok(["node", "restart", "node-2"]);
  ps = await pods(lab);
  assert.equal(ps.length, 6);
  assert.deepEqual(
    await reachMatrix(
      lab,
      ps.map((p) => p.metadata.name),
      ps,
    ),
    [],
    "after node-2 restarted",
  );
}

export async function kernelRoutes(lab: TestLab, node: string, proto: string): Promise<string[]> {
  const r = JSON.parse(await nodeRun(lab, node, ["ip", "-j", "route", "show", "proto", proto])) as { dst: string }[];
  return r.map((x) => x.dst);
}
