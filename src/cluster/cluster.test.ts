import assert from "node:assert/strict";
import { test } from "node:test";
import { parseManifest } from "../model/parse.js";
import type { EndpointSlice, KubeObject, Node, Pod, Service } from "../model/types.js";
import { emptyData, MemoryTxn } from "../store/memory.js";
import { admit, DEFAULT_CLUSTER, DUAL_STACK_CLUSTER, reconcileEndpointSlices, runControllers } from "./index.js";

function cluster(nodes = 2, cfg = DEFAULT_CLUSTER): MemoryTxn {
  const tx = new MemoryTxn(emptyData());
  tx.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
  for (let i = 1; i <= nodes; i++) tx.put({ apiVersion: "v1", kind: "Node", metadata: { name: `node-${i}` }, spec: {} });
  runControllers(tx, cfg);
  return tx;
}

function apply(tx: MemoryTxn, yaml: string, cfg = DEFAULT_CLUSTER): KubeObject[] {
  return parseManifest(yaml).map((d) => {
    if ("error" in d) throw d.error;
    return admit(tx, d.object, cfg);
  });
}

const svcYaml = (extra = "", name = "web") => `apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
${extra}`;

test("node IPAM gives each node its own /24 of 10.244.0.0/16 (and a /64 when dual-stack)", () => {
  const tx = cluster(3);
  assert.deepEqual(
    tx.list<Node>("Node").map((n) => n.spec.podCIDR),
    ["10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24"],
  );
  const dual = cluster(2, DUAL_STACK_CLUSTER);
  assert.deepEqual(dual.list<Node>("Node")[1]?.spec.podCIDRs, ["10.244.1.0/24", "fd00:10:244:1::/64"]);
});

test("ClusterIPs come from 10.96.0.0/12, explicit ones are honoured, conflicts and out-of-range are refused", () => {
  const tx = cluster();
  const [a] = apply(tx, svcYaml()) as Service[];
  assert.match(a!.spec.clusterIP!, /^10\.96\./);
  const [b] = apply(tx, svcYaml("  clusterIP: 10.96.0.10", "dns")) as Service[];
  assert.equal(b!.spec.clusterIP, "10.96.0.10");
  assert.throws(() => apply(tx, svcYaml("  clusterIP: 10.96.0.10", "dns2")), /already allocated/);
  assert.throws(() => apply(tx, svcYaml("  clusterIP: 10.200.0.1", "out")), /not in the valid range/);
  const [again] = apply(tx, svcYaml("  sessionAffinity: ClientIP")) as Service[];
  assert.equal(again!.spec.clusterIP, a!.spec.clusterIP, "re-applying keeps the allocated IP");
  assert.equal(again!.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds, 10800);
  assert.throws(() => apply(tx, svcYaml("  clusterIP: 10.96.5.5")), /immutable/);
});

test("NodePorts: allocated in 30000-32767, explicit honoured, duplicates and out-of-range refused, kept on re-apply", () => {
  const tx = cluster();
  const np = (port: string, name: string) =>
    `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec:\n  type: NodePort\n  ports: [{port: 80${port}}]`;
  const [a] = apply(tx, np("", "a")) as Service[];
  assert.equal(a!.spec.ports![0]!.nodePort, 30000);
  const [b] = apply(tx, np(", nodePort: 30080", "b")) as Service[];
  assert.equal(b!.spec.ports![0]!.nodePort, 30080);
  assert.throws(() => apply(tx, np(", nodePort: 30080", "c")), /already allocated/);
  assert.throws(() => apply(tx, np(", nodePort: 40000", "c")), /valid range/);
  const [a2] = apply(tx, np("", "a")) as Service[];
  assert.equal(a2!.spec.ports![0]!.nodePort, 30000);
  const [lb] = apply(tx, svcYaml("  type: LoadBalancer\n  externalTrafficPolicy: Local", "lb")) as Service[];
  assert.ok(lb!.spec.healthCheckNodePort! >= 30000);
});

test("objects in a namespace that does not exist are refused", () => {
  const tx = cluster();
  assert.throws(
    () => apply(tx, "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: nope}\nspec: {containers: [{name: c}]}"),
    /namespace "nope" does not exist/,
  );
});

const deployYaml = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}`;

test("a Deployment gets its replicas, spread across nodes, and scales down and up", () => {
  const tx = cluster(2);
  apply(tx, deployYaml(3));
  runControllers(tx, DEFAULT_CLUSTER);
  let pods = tx.list<Pod>("Pod");
  assert.equal(pods.length, 3);
  assert.ok(pods.every((p) => /^web-[a-z0-9]{10}-[a-z0-9]{5}$/.test(p.metadata.name)));
  const perNode = (ps: Pod[]) => ps.map((p) => p.spec.nodeName).sort();
  assert.deepEqual(perNode(pods), ["node-1", "node-1", "node-2"]);
  apply(tx, deployYaml(1));
  runControllers(tx, DEFAULT_CLUSTER);
  pods = tx.list<Pod>("Pod");
  assert.equal(pods.length, 1);
  apply(tx, deployYaml(4));
  runControllers(tx, DEFAULT_CLUSTER);
  assert.deepEqual(perNode(tx.list<Pod>("Pod")), ["node-1", "node-1", "node-2", "node-2"]);
  runControllers(tx, DEFAULT_CLUSTER);
  assert.equal(tx.list<Pod>("Pod").length, 4, "idempotent");
  tx.delete({ kind: "Deployment", namespace: "default", name: "web" });
  runControllers(tx, DEFAULT_CLUSTER);
  assert.equal(tx.list<Pod>("Pod").length, 0, "pods of a deleted deployment are collected");
});

test("EndpointSlices: ready pods with IPs, named target ports resolved per pod, node names, no rewrite when unchanged", () => {
  const tx = cluster(2);
  apply(tx, `${deployYaml(2)}\n---\n${svcYaml()}`);
  runControllers(tx, DEFAULT_CLUSTER);
  const pods = tx.list<Pod>("Pod");
  pods.forEach((p, i) => {
    p.status = {
      phase: "Running",
      podIP: `10.244.${i}.5`,
      podIPs: [{ ip: `10.244.${i}.5` }],
      conditions: [{ type: "Ready", status: i === 0 ? "True" : "False" }],
    };
    tx.put(p);
  });
  reconcileEndpointSlices(tx);
  const slices = tx.list<EndpointSlice>("EndpointSlice");
  assert.equal(slices.length, 1);
  const s = slices[0]!;
  assert.equal(s.metadata.labels?.["kubernetes.io/service-name"], "web");
  assert.deepEqual(s.ports, [{ name: "http", port: 8080, protocol: "TCP" }]);
  assert.deepEqual(
    s.endpoints.map((e) => [e.addresses[0], e.conditions?.ready, e.nodeName]),
    [
      ["10.244.0.5", true, pods[0]!.spec.nodeName],
      ["10.244.1.5", false, pods[1]!.spec.nodeName],
    ],
  );
  const rv = s.metadata.resourceVersion;
  reconcileEndpointSlices(tx);
  assert.equal(tx.list<EndpointSlice>("EndpointSlice")[0]!.metadata.resourceVersion, rv);
  tx.delete({ kind: "Service", namespace: "default", name: "web" });
  reconcileEndpointSlices(tx);
  assert.equal(tx.list("EndpointSlice").length, 0);
});
