import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeNodeKernel } from "../dataplane/index.js";
import { RecordingExecutor } from "../exec/fake.js";
import type { Node } from "../model/types.js";
import { NodeRouting } from "../routing/agent.js";
import { settings } from "../routing/fixtures.js";
import type { RoutingMode } from "../routing/types.js";
import { emptyData, MemoryTxn, type StoreData } from "../store/memory.js";
import type { Store } from "../store/types.js";
import { RoutingLoop, routingInputs } from "./routing.js";

function node(i: number): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: `node-${i}` },
    spec: { podCIDR: `10.244.${i - 1}.0/24`, podCIDRs: [`10.244.${i - 1}.0/24`] },
    status: { addresses: [{ type: "InternalIP", address: `172.18.0.${10 + i}` }] },
  } as Node;
}

/** memoryStore is a Store over one StoreData, as the embedded store file holds it. */
function memoryStore(data: StoreData): Store {
  return {
    read: async (fn) => fn(new MemoryTxn(data)),
    update: async (fn) => fn(new MemoryTxn(data)),
  };
}

function cluster(n: number): StoreData {
  const data = emptyData();
  const tx = new MemoryTxn(data);
  for (let i = 1; i <= n; i++) tx.put(node(i));
  return data;
}

const snapshot = (d: StoreData) => structuredClone(d);

function loop(data: StoreData, kernel: FakeNodeKernel, name: string, mode: RoutingMode): RoutingLoop {
  const s = settings(mode);
  return new RoutingLoop({
    node: name,
    routing: new NodeRouting({ kernel, exec: new RecordingExecutor(), settings: s, stateDir: "/nonexistent" }),
    settings: s,
    clusterCIDRs: ["10.244.0.0/16"],
    store: memoryStore(data),
    routedTimeoutMs: 0,
  });
}

test("vxlan agents: each publishes its VTEP MAC, waits for its peers', then routes them all; a second pass changes nothing", async () => {
  const data = cluster(3);
  const kernels = [1, 2, 3].map(() => new FakeNodeKernel());
  const loops = kernels.map((k, i) => loop(data, k, `node-${i + 1}`, "vxlan"));
  const first = snapshot(data);
  const r1 = await loops[0]!.sync(first);
  assert.equal(r1.converged, false, "it had to publish its own side");
  assert.deepEqual(r1.pending, ["node-2", "node-3"]);
  for (const l of loops.slice(1)) await l.sync(snapshot(data));
  const all = snapshot(data);
  assert.ok(data.resourceVersion > first.resourceVersion, "the MACs went to the store");
  for (const [i, l] of loops.entries()) {
    const r = await l.sync(all);
    assert.deepEqual(r, { changes: r.changes, converged: true, pending: [] }, `node-${i + 1}`);
    assert.equal(kernels[i]?.ip.routeList.length, 3, "two peer blocks and the own blackhole");
  }
  for (const l of loops) assert.equal((await l.sync(all)).changes, 0, "sync twice: no change");
});

test("a restarted agent adopts the routes it finds: its first pass changes nothing", async () => {
  const data = cluster(2);
  const k = new FakeNodeKernel();
  await loop(data, k, "node-1", "host-gw").sync(snapshot(data));
  const applied = k.applied;
  const r = await loop(data, k, "node-1", "host-gw").sync(snapshot(data));
  assert.deepEqual(r, { changes: 0, converged: true, pending: [] });
  assert.equal(k.applied, applied, "nothing written");
});

test("a node the cluster does not have is an error that names it; one without a pod CIDR yet is pending", async () => {
  const data = cluster(1);
  await assert.rejects(
    loop(data, new FakeNodeKernel(), "node-9", "host-gw").sync(snapshot(data)),
    /failed to route node "node-9": the cluster has no such Node/,
  );
  const tx = new MemoryTxn(data);
  tx.put({ ...node(2), spec: {} } as Node);
  const r = await loop(data, new FakeNodeKernel(), "node-2", "host-gw").sync(snapshot(data));
  assert.deepEqual(r, { changes: 0, converged: false, pending: ["node-2"] });
});

test("routingInputs changes with what routes are made of and with nothing else: an endpoint or a label needs no routing pass", () => {
  const data = cluster(2);
  const before = routingInputs(snapshot(data));
  const tx = new MemoryTxn(data);
  tx.put({ apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: { name: "web-1", namespace: "default" } } as never);
  tx.put({ ...node(2), metadata: { name: "node-2", labels: { zone: "b" }, annotations: { "podnet.io/heartbeat": "lease" } } });
  assert.equal(routingInputs(snapshot(data)), before);
  for (const changed of [
    { ...node(2), spec: { podCIDR: "10.244.9.0/24", podCIDRs: ["10.244.9.0/24"] } },
    { ...node(2), status: { addresses: [{ type: "InternalIP", address: "172.18.0.99" }] } },
    { ...node(2), metadata: { name: "node-2", annotations: { "podnet.io/vtep-mac": "0a:00:00:00:00:02" } } },
    node(3),
  ]) {
    const d = structuredClone(data);
    new MemoryTxn(d).put(changed as Node);
    assert.notEqual(routingInputs(snapshot(d)), before, JSON.stringify(changed));
  }
});
