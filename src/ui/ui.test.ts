import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../model/types.js";
import type { StoreSnapshot } from "../store/follow.js";
import { keyOf, keyString } from "../store/types.js";
import { uiApp, type UiSource } from "./server.js";
import { type Snapshot, snapshotOf } from "./snapshot.js";

const store = (objs: object[], resourceVersion = 7): StoreSnapshot => ({
  resourceVersion,
  objects: Object.fromEntries((objs as KubeObject[]).map((o) => [keyString(keyOf(o)), o])),
});
const node = (name: string, ip: string, cidr: string) => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name },
  spec: { podCIDR: cidr },
  status: { addresses: [{ type: "InternalIP", address: ip }] },
});
const pod = (name: string, nodeName: string, ip: string) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", labels: { app: "web" } },
  spec: { nodeName, containers: [{ name: "c" }] },
  status: { phase: "Running", podIP: ip, podIPs: [{ ip }] },
});
const ep = (ip: string, nodeName: string, conditions: object) => ({ addresses: [ip], nodeName, conditions });
const OBJECTS = [
  node("node-2", "172.18.0.12", "10.244.1.0/24"),
  node("node-1", "172.18.0.11", "10.244.0.0/24"),
  pod("a", "node-1", "10.244.0.2"),
  pod("b", "node-2", "10.244.1.2"),
  pod("c", "node-2", "10.244.1.3"),
  {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "default" },
    spec: {
      clusterIP: "10.96.1.0",
      clusterIPs: ["10.96.1.0"],
      ports: [{ name: "http", port: 80, targetPort: 8080, nodePort: 30080 }],
      type: "NodePort",
    },
  },
  {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "web-1", namespace: "default", labels: { "kubernetes.io/service-name": "web" } },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: [
      ep("10.244.0.2", "node-1", { ready: true, serving: true, terminating: false }),
      ep("10.244.1.2", "node-2", { ready: true, serving: true, terminating: false }),
      ep("10.244.1.3", "node-2", { ready: false, serving: true, terminating: true }),
    ],
  },
];
const CTX = { routing: "vxlan", external: { name: "external", ips: ["198.51.100.10"] } };

test("the snapshot: nodes in order with their CIDRs, pods on them, a VXLAN link per pair, a Service's shares as kube-proxy splits them", () => {
  const s = snapshotOf(store(OBJECTS), CTX);
  assert.deepEqual(
    s.nodes.map((n) => [n.name, n.ips, n.podCIDRs]),
    [
      ["node-1", ["172.18.0.11"], ["10.244.0.0/24"]],
      ["node-2", ["172.18.0.12"], ["10.244.1.0/24"]],
    ],
  );
  assert.deepEqual(s.links, [{ from: "node-1", to: "node-2", kind: "vxlan" }]);
  assert.deepEqual(
    s.services[0]?.ports[0]?.targets.map((t) => [t.pod, t.node, t.probability, t.terminating]),
    [
      ["default/a", "node-1", 0.5, false],
      ["default/b", "node-2", 0.5, false],
      ["default/c", "node-2", 0, true],
    ],
  );
  assert.equal(s.services[0]?.ports[0]?.nodePort, 30080);
  assert.equal(s.version, 7);
  // With no ready endpoint left, the serving-terminating one takes all new connections.
  const only = OBJECTS.map((o) =>
    (o as { kind: string }).kind === "EndpointSlice"
      ? { ...o, endpoints: [ep("10.244.1.3", "node-2", { ready: false, serving: true, terminating: true })] }
      : o,
  );
  assert.deepEqual(
    snapshotOf(store(only), CTX).services[0]?.ports[0]?.targets.map((t) => t.probability),
    [1],
  );
  assert.deepEqual(snapshotOf(store(OBJECTS), { ...CTX, routing: "bgp", bgpState: () => "Active" }).links[0], {
    from: "node-1",
    to: "node-2",
    kind: "bgp",
    state: "Active",
  });
});

test("the API serves the snapshot and the page, refuses every write, and says what needs a lab", async () => {
  const held: { snap?: Snapshot } = {};
  const source: UiSource = { snapshot: () => held.snap, subscribe: () => () => {} };
  const app = uiApp(source, new Map([["/index.html", { type: "text/html", body: "<html></html>" }]]));
  assert.equal((await app.request("/api/snapshot")).status, 503);
  held.snap = snapshotOf(store(OBJECTS), CTX);
  assert.equal(((await (await app.request("/api/snapshot")).json()) as Snapshot).pods.length, 3);
  assert.equal(await (await app.request("/")).text(), "<html></html>");
  for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
    const r = await app.request("/api/snapshot", { method });
    assert.equal(r.status, 405, method);
    assert.equal(r.headers.get("Allow"), "GET, HEAD");
  }
  assert.equal((await app.request("/api/trace?src=a&dst=svc/web")).status, 501);
  assert.equal((await app.request("/nope.js")).status, 404);
});
