import assert from "node:assert/strict";
import { test } from "node:test";
import { iptablesChains, parseSave } from "../../netfilter/index.js";
import type { KernelRoute, NodeView } from "./view.js";
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

function view(node: string, routes: Record<string, KernelRoute>, rules = NAT): NodeView {
  return {
    node,
    chains: iptablesChains(parseSave(rules)),
    sets: new Map(),
    local: () => false,
    addressOf: () => undefined,
    route: async (dst) => routes[dst] ?? { local: false, error: "RTNETLINK answers: Network is unreachable" },
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
    nodeOfBlock: (ip) => (ip.startsWith("10.244.1.") ? "node-2" : undefined),
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
    assert.equal(first?.route?.encap, mode === "vxlan" ? "VXLAN to node-2" : undefined);
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
