import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeNodeKernel } from "../dataplane/index.js";
import { RecordingExecutor } from "../exec/fake.js";
import { NodeRouting } from "./agent.js";
import { EGRESS_CHAIN, egressSpecs } from "./egress.js";
import { type RouteNode, type RoutingMode } from "./types.js";
import { vtepMac } from "./vxlan.js";
import { cluster, dualCluster, EGRESS, settings } from "./fixtures.js";

function agent(k: FakeNodeKernel, mode: RoutingMode): NodeRouting {
  return new NodeRouting({ kernel: k, exec: new RecordingExecutor(), settings: settings(mode), stateDir: "/nonexistent" });
}

/** converge runs both phases for the first node, as the lab does, and returns the number of changes of the sync. */
async function converge(k: FakeNodeKernel, mode: RoutingMode, nodes: RouteNode[]): Promise<number> {
  const a = agent(k, mode);
  await a.prepare(nodes[0]!);
  const published = nodes.map((n) => ({ ...n, vtepMac: vtepMac(n.name) }));
  const desired = { self: published[0]!, nodes: published, egress: EGRESS };
  const n = await a.sync(desired);
  await a.waitRouted(desired, 0);
  return n;
}

const routeDsts = (k: FakeNodeKernel) => k.ip.routeList.map((r) => r.dst).sort();

// The shared behavioural cases every kernel-route backend passes.
for (const mode of ["host-gw", "vxlan"] as const) {
  test(`${mode}: converges, a second sync changes nothing, a removed node leaves nothing behind`, async () => {
    const k = new FakeNodeKernel();
    assert.ok((await converge(k, mode, cluster(4))) > 0);
    assert.equal(k.ip.routeList.length, 4, "3 peer blocks and the own-block blackhole");
    assert.equal(k.ip.routeList.find((r) => r.dst === "10.244.0.0/24")?.blackhole, true);
    assert.deepEqual(k.ipt[4].rules("nat", EGRESS_CHAIN), egressSpecs(EGRESS.pools, 4), "egress chain written");
    assert.deepEqual(k.ipt[4].rules("nat", "POSTROUTING"), ['-m comment --comment "podnet pod egress" -j PODNET-POSTROUTING']);
    const applied = k.applied;
    assert.equal(await converge(k, mode, cluster(4)), 0, "sync twice: no change");
    assert.equal(k.applied, applied, "sync twice: nothing written");
    await converge(k, mode, cluster(3));
    assert.deepEqual(routeDsts(k), ["10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24"]);
    assert.ok(![...k.ip.neighbourMap.values()].some((n) => n.dst === "10.244.3.0"), "neighbour of the removed node deleted");
    assert.ok(![...k.ip.fdbMap.values()].some((f) => f.dst === "172.18.0.14"), "FDB entry of the removed node deleted");
  });
}

test("vxlan: entries are added before the route that needs them, and removed after it", async () => {
  const k = new FakeNodeKernel();
  await converge(k, "vxlan", cluster(2));
  assert.deepEqual(k.ip.log, [
    "link+ podnet.1",
    "address+ 10.244.0.0/32",
    "neigh+ 10.244.1.0",
    `fdb+ ${vtepMac("node-2")}`,
    "route+ 10.244.0.0/24",
    "route+ 10.244.1.0/24",
  ]);
  k.ip.log = [];
  await converge(k, "vxlan", cluster(1));
  assert.deepEqual(k.ip.log, ["route- 10.244.1.0/24", "neigh- 10.244.1.0", `fdb- ${vtepMac("node-2")}`]);
});

test("vxlan dual-stack: one device carries both families; IPv6 gets its own neighbour and onlink routes", async () => {
  const k = new FakeNodeKernel();
  await converge(k, "vxlan", dualCluster(2));
  assert.deepEqual(k.ip.log, [
    "link+ podnet.1",
    "address+ 10.244.0.0/32",
    "address+ fd00:10:244::/128",
    "neigh+ 10.244.1.0",
    "neigh+ fd00:10:244:1::",
    `fdb+ ${vtepMac("node-2")}`,
    "route+ 10.244.0.0/24",
    "route+ fd00:10:244::/64",
    "route+ 10.244.1.0/24",
    "route+ fd00:10:244:1::/64",
  ]);
  assert.deepEqual(
    k.ip.routeList.find((r) => r.dst === "fd00:10:244:1::/64"),
    { dst: "fd00:10:244:1::/64", via: "fd00:10:244:1::", dev: "podnet.1", onlink: true, proto: 81 },
  );
  assert.deepEqual(k.ip.addresses, [
    { dev: "podnet.1", cidr: "10.244.0.0/32" },
    { dev: "podnet.1", cidr: "fd00:10:244::/128" },
  ]);
  k.ip.log = [];
  await converge(k, "vxlan", dualCluster(2));
  assert.deepEqual(k.ip.log, [], "sync twice: nothing to do");
  await converge(k, "vxlan", dualCluster(1));
  assert.deepEqual(k.ip.log, [
    "route- 10.244.1.0/24",
    "route- fd00:10:244:1::/64",
    "neigh- 10.244.1.0",
    "neigh- fd00:10:244:1::",
    `fdb- ${vtepMac("node-2")}`,
  ]);
});

test("host-gw dual-stack: IPv6 blocks go via the peer's IPv6 address; a peer without one gets no IPv6 route", async () => {
  const k = new FakeNodeKernel();
  const nodes = dualCluster(3);
  delete nodes[2]!.ip6;
  await converge(k, "host-gw", nodes);
  assert.deepEqual(
    k.ip.dump().filter((l) => l.startsWith("route")),
    [
      "route 10.244.1.0/24 via 172.18.0.12 proto 81",
      "route 10.244.2.0/24 via 172.18.0.13 proto 81",
      "route blackhole 10.244.0.0/24 proto 81 metric 32",
      "route blackhole fd00:10:244::/64 proto 81 metric 1024",
      "route fd00:10:244:1::/64 via fd00:172:18::12 proto 81",
    ],
  );
});

test("vxlan: a device with the wrong settings is recreated, a right one kept", async () => {
  const k = new FakeNodeKernel();
  const a = agent(k, "vxlan");
  const [self] = cluster(1);
  assert.deepEqual(await a.prepare(self!), { "podnet.io/vtep-mac": vtepMac("node-1") });
  k.ip.log = [];
  await a.prepare(self!);
  assert.deepEqual(k.ip.log, [], "matching device kept");
  k.ip.linkMap.get("podnet.1")!.mtu = 1500;
  await a.prepare(self!);
  assert.deepEqual(k.ip.log, ["link- podnet.1", "link+ podnet.1", "address+ 10.244.0.0/32"]);
});
