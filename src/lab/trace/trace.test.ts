import assert from "node:assert/strict";
import { test } from "node:test";
import { iptablesChains, parseSave } from "../../netfilter/index.js";
import { type KernelRoute, type NodeView, parseRecent, protocolOf, type Tunnel, tunnelOf } from "./view.js";
import { parseTarget } from "./run.js";
import { type LabMap, walk } from "./walk.js";

const NAT = `*nat
:PREROUTING ACCEPT
:POSTROUTING ACCEPT
:KUBE-SERVICES -
:KUBE-SVC-WEB -
:KUBE-SEP-A -
:KUBE-SEP-B -
-A PREROUTING -j KUBE-SERVICES
-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-WEB
-A KUBE-SERVICES -d 10.96.0.21/32 -p tcp -m tcp --dport 80 -j REJECT
-A KUBE-SVC-WEB -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A
-A KUBE-SVC-WEB -j KUBE-SEP-B
-A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.244.0.5:8080
-A KUBE-SEP-B -p tcp -m tcp -j DNAT --to-destination 10.244.1.5:8080
COMMIT
*filter
:INPUT ACCEPT
:FORWARD ACCEPT
:OUTPUT ACCEPT
COMMIT
`;

// node-1's VXLAN device knows node-2's VTEP (10.244.1.0): its MAC, and the FDB entry sending that MAC to 172.18.0.12.
let tunnels: Record<string, Tunnel> = { "10.244.1.0": { mac: "0e:00:00:00:00:02", remote: "172.18.0.12" } };

function view(node: string, routes: Record<string, KernelRoute>, rules = NAT): NodeView {
  return {
    node,
    chains: { 4: iptablesChains(parseSave(rules)), 6: [] },
    sets: new Map(),
    local: () => false,
    addressOf: () => undefined,
    route: async (dst) => routes[dst] ?? { local: false, error: "RTNETLINK answers: Network is unreachable" },
    recent: () => false,
    tunnel: async (_dev, via) => tunnels[via] ?? {},
  };
}

function lab(mode: "host-gw" | "vxlan"): LabMap {
  const toB: KernelRoute =
    mode === "vxlan" ? { dev: "podnet.1", gateway: "10.244.1.0", local: false } : { dev: "eth0", gateway: "172.18.0.12", local: false };
  const views: Record<string, NodeView> = {
    "node-1": view("node-1", { "10.244.0.5": { dev: "cni0", local: false }, "10.244.1.5": toB, "10.96.0.20": toB }),
    "node-2": view("node-2", { "10.244.1.5": { dev: "cni0", local: false } }),
  };
  const pods: Record<string, { pod: string; node: string }> = {
    "10.244.0.5": { pod: "default/a", node: "node-1" },
    "10.244.1.5": { pod: "default/b", node: "node-2" },
  };
  return {
    view: async (n) => views[n] as NodeView,
    podAt: (ip) => pods[ip],
    nodeAt: (ip) => (ip === "172.18.0.12" ? "node-2" : undefined),
    vxlanDev: "podnet.1",
  };
}

test("a ClusterIP flow splits over its endpoints, each path routed by the kernel's answer, hop by hop", async () => {
  for (const mode of ["host-gw", "vxlan"] as const) {
    const paths = await walk(lab(mode), "node-1", "outside", "cni0", { src: "10.244.0.9", dst: "10.96.0.20", proto: "tcp", dport: 80 });
    assert.deepEqual(
      paths.map((p) => [p.probability, p.outcome.kind === "delivered" ? p.outcome.pod : p.outcome.kind, p.hops.map((h) => h.node)]),
      [
        [0.5, "default/a", ["node-1"]],
        [0.5, "default/b", ["node-1", "node-2"]],
      ],
      mode,
    );
    const first = paths[1]?.hops[0];
    assert.equal(first?.dnat, "10.244.1.5:8080");
    assert.match(
      first?.rules.join("\n") ?? "",
      /nat: -A KUBE-SVC-WEB -j KUBE-SEP-B\nnat: -A KUBE-SEP-B .* -j DNAT --to-destination 10\.244\.1\.5:8080/,
    );
    assert.equal(first?.route?.encap, mode === "vxlan" ? "VXLAN to node-2 (VTEP MAC 0e:00:00:00:00:02, remote 172.18.0.12)" : undefined);
    assert.equal(paths[1]?.hops[1]?.iif, mode === "vxlan" ? "podnet.1" : "eth0");
  }
});

test("a rejected flow ends on its rule; an unroutable one with the kernel's error", async () => {
  const [rejected] = await walk(lab("host-gw"), "node-1", "outside", "cni0", {
    src: "10.244.0.9",
    dst: "10.96.0.21",
    proto: "tcp",
    dport: 80,
  });
  assert.deepEqual(rejected?.outcome, {
    kind: "rejected",
    node: "node-1",
    rule: "nat: -A KUBE-SERVICES -d 10.96.0.21/32 -p tcp -m tcp --dport 80 -j REJECT",
  });
  const [lost] = await walk(lab("host-gw"), "node-1", "outside", "cni0", { src: "10.244.0.9", dst: "10.244.7.7", proto: "tcp", dport: 80 });
  assert.deepEqual(lost?.outcome, { kind: "no-route", node: "node-1", error: "RTNETLINK answers: Network is unreachable" });
});

test("a VXLAN hop without the next hop's FDB entry or neighbour is dropped there, saying which is missing", async () => {
  const flow = { src: "10.244.0.9", dst: "10.244.1.5", proto: "tcp" as const, dport: 8080 };
  const saved = tunnels;
  try {
    tunnels = { "10.244.1.0": { mac: "0e:00:00:00:00:02" } };
    assert.deepEqual((await walk(lab("vxlan"), "node-1", "outside", "cni0", flow))[0]?.outcome, {
      kind: "dropped",
      node: "node-1",
      rule: "no FDB entry for 0e:00:00:00:00:02 on podnet.1",
    });
    tunnels = {};
    assert.deepEqual((await walk(lab("vxlan"), "node-1", "outside", "cni0", flow))[0]?.outcome, {
      kind: "dropped",
      node: "node-1",
      rule: "no neighbour entry for 10.244.1.0 on podnet.1",
    });
  } finally {
    tunnels = saved;
  }
});

test("the kernel's tables read back: the FDB entry of a neighbour's MAC, and who installed the route chosen", () => {
  const neigh = [{ dst: "10.244.1.0", lladdr: "0e:00:00:00:00:02", state: ["PERMANENT"] }];
  const fdb = [
    { mac: "0e:00:00:00:00:02", dst: "172.18.0.12", state: "permanent" },
    { mac: "0e:00:00:00:00:03", dst: "172.18.0.13", state: "permanent" },
  ];
  assert.deepEqual(tunnelOf(neigh, fdb, "10.244.1.0"), { mac: "0e:00:00:00:00:02", remote: "172.18.0.12" });
  assert.deepEqual(tunnelOf(neigh, [], "10.244.1.0"), { mac: "0e:00:00:00:00:02" });
  const table = [
    { dst: "default", gateway: "172.18.0.1", protocol: "static" },
    { dst: "10.244.1.0/24", gateway: "172.18.0.12", protocol: "bird" },
    { dst: "10.244.0.0/16", protocol: "kernel" },
  ];
  assert.equal(protocolOf(table, "10.244.1.7"), "bird");
  assert.equal(protocolOf(table, "10.244.9.7"), "kernel");
  assert.equal(protocolOf(table, "198.51.100.10"), "static");
});

test("trace destinations: names, IPv4 and IPv6 addresses, ports and protocols", () => {
  assert.deepEqual(parseTarget("svc/web:53/udp"), { name: "svc/web", port: 53, proto: "udp" });
  assert.deepEqual(parseTarget("10.244.0.5:8080"), { name: "10.244.0.5", port: 8080, proto: "tcp" });
  assert.deepEqual(parseTarget("[fd00:10:244::5]:8080/udp"), { name: "fd00:10:244::5", port: 8080, proto: "udp" });
  assert.deepEqual(parseTarget("fd00:10:244::5"), { name: "fd00:10:244::5", proto: "tcp" });
  assert.deepEqual(parseTarget("client"), { name: "client", proto: "tcp" });
});

test("iptables ClientIP affinity: a client the kernel's recent list remembers is pinned to its endpoint", async () => {
  const rules = `*nat
:PREROUTING ACCEPT
:KUBE-SVC-S -
:KUBE-SEP-A -
:KUBE-SEP-B -
-A PREROUTING -d 10.96.0.30/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-S
-A KUBE-SVC-S -m recent --name KUBE-SEP-A --rcheck --seconds 10800 --reap -j KUBE-SEP-A
-A KUBE-SVC-S -m recent --name KUBE-SEP-B --rcheck --seconds 10800 --reap -j KUBE-SEP-B
-A KUBE-SVC-S -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A
-A KUBE-SVC-S -j KUBE-SEP-B
-A KUBE-SEP-A -p tcp -m recent --set --name KUBE-SEP-A --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.0.5:8080
-A KUBE-SEP-B -p tcp -m recent --set --name KUBE-SEP-B --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.1.5:8080
COMMIT
`;
  const lists = parseRecent("/proc/net/xt_recent/KUBE-SEP-B:src=10.244.0.9 ttl: 64 last_seen: 4295160 oldest_pkt: 1 4295160\n");
  const chains = { 4: iptablesChains(parseSave(rules)), 6: [] };
  const to = async (src: string) => {
    const v: NodeView = { ...view("node-1", {}), chains, recent: (name, ip) => lists.get(name)?.has(ip) ?? false };
    const map: LabMap = { ...lab("host-gw"), view: async () => v };
    return (await walk(map, "node-1", "outside", "cni0", { src, dst: "10.96.0.30", proto: "tcp", dport: 80 })).map((p) => [
      p.probability,
      p.hops[0]?.dnat,
    ]);
  };
  assert.deepEqual(await to("10.244.0.9"), [[1, "10.244.1.5:8080"]]);
  assert.deepEqual(await to("10.244.0.8"), [
    [0.5, "10.244.0.5:8080"],
    [0.5, "10.244.1.5:8080"],
  ]);
});
