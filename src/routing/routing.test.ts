import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { FakeNodeKernel, NodeTransaction } from "../dataplane/index.js";
import { RecordingExecutor } from "../exec/fake.js";
import { renderText } from "../iproute/index.js";
import { NodeRouting } from "./agent.js";
import { bgpPeers, birdConfig } from "./bird.js";
import { EGRESS_CHAIN, egressSpecs, planEgress } from "./egress.js";
import { egressPlan } from "./egressplan.js";
import { planPolicy, policyTable } from "./policy.js";
import { renderRouting } from "./render.js";
import { diffRoutes } from "./routes.js";
import { DEFAULT_ROUTING, podMtu, type RouteNode, type RoutingMode, type RoutingSettings } from "./types.js";
import { vtepMac } from "./vxlan.js";

const GOLDEN = fileURLToPath(new URL("../../../src/routing/testdata/render.txt", import.meta.url));

const EGRESS_POOLS = [{ cidr: "10.244.0.0/16", natOutgoing: true }];
const cluster = (n: number): RouteNode[] =>
  Array.from({ length: n }, (_, i) => ({ name: `node-${i + 1}`, ip: `172.18.0.${11 + i}`, blocks: [`10.244.${i}.0/24`] }));
const dualCluster = (n: number): RouteNode[] =>
  cluster(n).map((c, i) => ({
    ...c,
    ip6: `fd00:172:18::${11 + i}`,
    blocks: [...c.blocks, i ? `fd00:10:244:${i}::/64` : "fd00:10:244::/64"],
  }));
const DUAL_EGRESS = { pools: [...EGRESS_POOLS, { cidr: "fd00:10:244::/56", natOutgoing: true }], policies: [] };
const settings = (mode: RoutingMode, extra: Partial<RoutingSettings> = {}): RoutingSettings => ({ ...DEFAULT_ROUTING, mode, ...extra });
const EGRESS = { pools: EGRESS_POOLS, policies: [] };

test("every mode renders the golden state for node-1 of a 3-node cluster", () => {
  const nodes = cluster(3);
  const cases: [string, RoutingSettings, string][] = [
    ["host-gw", settings("host-gw"), "node-1"],
    ["vxlan", settings("vxlan"), "node-1"],
    ["bgp full mesh", settings("bgp"), "node-1"],
    ["bgp route-reflector client", settings("bgp", { routeReflectors: ["node-1"] }), "node-2"],
    ["ipip (render only)", settings("ipip"), "node-1"],
  ];
  const dual: [string, RoutingSettings, string][] = [
    ["dual-stack host-gw", settings("host-gw"), "node-1"],
    ["dual-stack vxlan", settings("vxlan"), "node-1"],
    ["dual-stack bgp", settings("bgp"), "node-1"],
  ];
  const text = [
    ...cases.map(([title, s, self]) => `######## ${title}, ${self}\n${renderRouting(self, nodes, s, EGRESS)}`),
    ...dual.map(([title, s, self]) => `######## ${title}, ${self}\n${renderRouting(self, dualCluster(3), s, DUAL_EGRESS)}`),
  ].join("\n");
  if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, text);
  assert.equal(text, readFileSync(GOLDEN, "utf8"));
});

test("pod MTU leaves room for each mode's encapsulation", () => {
  const table: [RoutingMode, number][] = [
    ["host-gw", 1500],
    ["bgp", 1500],
    ["vxlan", 1450],
    ["ipip", 1480],
  ];
  for (const [mode, mtu] of table) assert.equal(podMtu({ mode, underlayMtu: 1500 }), mtu, mode);
  assert.equal(podMtu({ mode: "vxlan", underlayMtu: 9000 }), 8950);
});

test("route diff: unchanged routes are left alone, changed ones replaced, stale ones deleted", () => {
  const r = (dst: string, via: string) => ({ dst, via, proto: 81 });
  const want = [r("10.244.1.0/24", "172.18.0.12"), r("10.244.2.0/24", "172.18.0.13"), r("10.244.3.0/24", "172.18.0.14")];
  const have = [
    { ...r("10.244.1.0/24", "172.18.0.12"), dev: "eth0" },
    r("10.244.2.0/24", "172.18.0.99"),
    r("10.244.9.0/24", "172.18.0.20"),
  ];
  assert.deepEqual(diffRoutes(want, have), { add: [want[1], want[2]], del: [{ dst: "10.244.9.0/24", proto: 81 }] });
  const onlink = [{ dst: "10.244.1.0/24", via: "10.244.1.0", dev: "podnet.1", onlink: true, proto: 81 }];
  assert.deepEqual(diffRoutes(onlink, [{ ...onlink[0]! }]), { add: [], del: [] });
  assert.equal(
    diffRoutes(onlink, [{ dst: "10.244.1.0/24", via: "10.244.1.0", dev: "podnet.1" }]).add.length,
    1,
    "a lost onlink flag is repaired",
  );
});

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

test("vtep MACs are stable, unicast and locally administered", () => {
  assert.equal(vtepMac("node-1"), vtepMac("node-1"));
  assert.notEqual(vtepMac("node-1"), vtepMac("node-2"));
  const first = Number.parseInt(vtepMac("node-7").slice(0, 2), 16);
  assert.equal(first & 1, 0, "unicast");
  assert.equal(first & 2, 2, "locally administered");
});

test("bgp peers: full mesh, or clients to reflectors and reflectors to all", () => {
  const nodes = cluster(4);
  const names = (self: string, rr: string[]) =>
    bgpPeers(
      nodes.find((n) => n.name === self)!,
      nodes,
      settings("bgp", { routeReflectors: rr }),
    ).map((p) => `${p.node.name}${p.rrClient ? "(client)" : ""}`);
  assert.deepEqual(names("node-1", []), ["node-2", "node-3", "node-4"]);
  assert.deepEqual(names("node-3", ["node-1", "node-2"]), ["node-1", "node-2"]);
  assert.deepEqual(names("node-1", ["node-1", "node-2"]), ["node-2", "node-3(client)", "node-4(client)"]);
  assert.deepEqual(names("node-3", ["node-9"]), ["node-1", "node-2", "node-4"], "a reflector that is not a node means full mesh");
});

test("bird.conf announces only the node's own blocks and exports BGP routes for reflection", () => {
  const conf = birdConfig(cluster(2)[0]!, cluster(2), settings("bgp"));
  assert.match(conf, /route 10\.244\.0\.0\/24 blackhole;/);
  assert.doesNotMatch(conf, /route 10\.244\.1\.0\/24/);
  assert.match(conf, /export where proto = "podnet_blocks" \|\| source = RTS_BGP;/);
  assert.match(conf, /protocol bgp node_node_2 from podnet_peer \{\n {2}description "node-2";\n {2}neighbor 172\.18\.0\.12 as 64512;/);
});

test("egress: traffic to any pod pool keeps its source; only natOutgoing pools are masqueraded", () => {
  const pools = [
    { cidr: "10.244.0.0/16", natOutgoing: true },
    { cidr: "10.66.0.0/16", natOutgoing: false },
    { cidr: "fd00:10:244::/56", natOutgoing: true },
  ];
  const tx = new NodeTransaction();
  planEgress(tx.iptables[4], pools, undefined);
  assert.equal(
    tx.iptables[4].render(),
    [
      "*nat",
      ":PODNET-POSTROUTING - [0:0]",
      '-A PODNET-POSTROUTING -d 10.244.0.0/16 -m comment --comment "podnet: to pods, keep source" -j RETURN',
      '-A PODNET-POSTROUTING -d 10.66.0.0/16 -m comment --comment "podnet: to pods, keep source" -j RETURN',
      '-A PODNET-POSTROUTING -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "podnet: natOutgoing 10.244.0.0/16" -j MASQUERADE --random-fully',
      '-I POSTROUTING 1 -m comment --comment "podnet pod egress" -j PODNET-POSTROUTING',
      "COMMIT",
      "",
    ].join("\n"),
  );
  assert.match(egressSpecs(pools, 6).join("\n"), /-s fd00:10:244::\/56 ! -d ff00::\/8 .* -j MASQUERADE/);
  const listed = egressSpecs(pools, 4).map((s) => `-A ${EGRESS_CHAIN} ${s}`);
  const again = new NodeTransaction();
  planEgress(again.iptables[4], pools, { chain: listed, jump: true });
  assert.ok(again.empty, "a chain listed as written and a jump in place: nothing to do");
});

test("egress plan: the active gateway SNATs a centralized subnet, other nodes route it there", () => {
  const nodes = cluster(3);
  const subs = [
    { name: "exposed", cidrs: ["10.66.0.0/16"], natOutgoing: false },
    { name: "central", cidrs: ["10.77.0.0/16"], natOutgoing: true, centralized: { active: "node-2" } },
  ];
  const onGw = egressPlan(nodes[1]!, nodes, ["10.244.0.0/16"], subs, settings("host-gw"));
  assert.deepEqual(onGw.pools, [
    { cidr: "10.244.0.0/16", natOutgoing: true },
    { cidr: "10.66.0.0/16", natOutgoing: false },
    { cidr: "10.77.0.0/16", natOutgoing: true },
  ]);
  assert.deepEqual(onGw.policies, []);
  const other = egressPlan(nodes[0]!, nodes, ["10.244.0.0/16"], subs, settings("host-gw"));
  assert.equal(other.pools[2]?.natOutgoing, false, "no SNAT before the gateway");
  assert.deepEqual(other.policies, [{ from: "10.77.0.0/16", table: policyTable("central"), via: "172.18.0.12" }]);
  const overlay = egressPlan(nodes[0]!, nodes, [], subs, settings("vxlan"));
  assert.deepEqual(overlay.policies, [
    { from: "10.77.0.0/16", table: policyTable("central"), via: "10.244.1.0", dev: "podnet.1", onlink: true },
  ]);
  const orphan = egressPlan(nodes[0]!, nodes, [], [{ ...subs[1]!, centralized: {} }], settings("host-gw"));
  assert.deepEqual(orphan, { pools: [{ cidr: "10.77.0.0/16", natOutgoing: true }], policies: [] }, "no live gateway: SNAT locally");
});

test("policy routes: planned once, nothing to do when the kernel has them, stale ones removed", async () => {
  const p = { from: "10.77.0.0/16", table: 12345, via: "172.18.0.12" };
  const k = new FakeNodeKernel();
  const plan = async (want: (typeof p)[]) => {
    const tx = new NodeTransaction();
    planPolicy(tx.ip, want, await k.ip.rules(), await k.ip.routes({ family: 4, table: "all", proto: 81 }));
    return tx;
  };
  const first = await plan([p]);
  assert.equal(
    renderText(first.ip),
    [
      "# ip -batch -",
      "rule add from 10.77.0.0/16 lookup main suppress_prefixlength 0 priority 1000 protocol 81",
      "rule add from 10.77.0.0/16 lookup 12345 priority 1001 protocol 81",
      "route replace default via 172.18.0.12 table 12345 proto 81",
      "",
    ].join("\n"),
  );
  await k.apply(first);
  assert.ok((await plan([p])).empty, "sync twice: nothing to do");
  const failover = await plan([{ ...p, via: "172.18.0.13" }]);
  assert.equal(
    renderText(failover.ip),
    "# ip -batch -\nroute replace default via 172.18.0.13 table 12345 proto 81\n",
    "gateway failover rewrites one route",
  );
  await k.apply(await plan([]));
  assert.deepEqual(k.ip.dump(), [], "no subnet: no rule and no table route left");
});
