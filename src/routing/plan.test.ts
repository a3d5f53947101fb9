import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { FakeNodeKernel, NodeTransaction } from "../dataplane/index.js";
import { renderText } from "../iproute/index.js";
import { bgpPeers, birdConfig } from "./bird.js";
import { EGRESS_CHAIN, egressSpecs, planEgress } from "./egress.js";
import { egressPlan } from "./egressplan.js";
import { planPolicy, policyTable } from "./policy.js";
import { renderRouting } from "./render.js";
import { diffRoutes } from "./routes.js";
import { podMtu, type RoutingMode, type RoutingSettings } from "./types.js";
import { vtepMac } from "./vxlan.js";
import { cluster, DUAL_EGRESS, dualCluster, EGRESS, settings } from "./fixtures.js";

const GOLDEN = fileURLToPath(new URL("../../../src/routing/testdata/render.txt", import.meta.url));

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
