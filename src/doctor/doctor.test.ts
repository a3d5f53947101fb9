import assert from "node:assert/strict";
import { test } from "node:test";
import { CAUSES } from "./causes.js";
import { mtuFinding, type NodeFacts, nodeConfigFinding, pathFinding, serviceFinding } from "./diagnose.js";

const healthy = (node: string, extra: Partial<NodeFacts> = {}): NodeFacts => ({
  node,
  ipForward: true,
  rpFilter: { uplink: 0, all: 0 },
  forwardPolicy: "ACCEPT",
  uplink: { name: "eth0", mtu: 1500 },
  drift: [],
  proxy: { running: true, rules: true },
  agentErrors: [],
  ...extra,
});

test("pathFinding names the first cause on the path in the guide's order", () => {
  const n2 = healthy("n2");
  const cases: [string, NodeFacts[], string][] = [
    ["healthy", [healthy("n1"), n2], "unknown"],
    [
      "forwarding off beats a missing route",
      [healthy("n1", { drift: ["ip route replace 10.244.1.0/24 via 172.18.0.12"] }), healthy("n2", { ipForward: false })],
      "ip-forward-disabled",
    ],
    ["FORWARD DROP", [healthy("n1", { forwardPolicy: "DROP" }), n2], "forward-policy-drop"],
    ["a missing route", [healthy("n1", { drift: ["ip route replace 10.244.1.0/24 via 172.18.0.12 proto 81"] }), n2], "route-missing"],
    [
      "a missing FDB entry",
      [healthy("n1", { drift: ["bridge fdb replace 82:8c:c3:d7:1d:49 dev podnet.1 dst 172.18.0.12"] }), n2],
      "vxlan-fdb-missing",
    ],
    [
      "a dead BIRD is named before the session it took down",
      [
        healthy("n1", { bird: { running: true, down: ["node_n2 BGP --- start Active"] } }),
        healthy("n2", { bird: { running: false, down: [] } }),
      ],
      "bgp-daemon-down",
    ],
    ["a session down", [healthy("n1", { bird: { running: true, down: ["node_n2 Active"] } }), n2], "bgp-session-down"],
    ["strict rp_filter when nothing else explains it", [healthy("n1", { rpFilter: { uplink: 1, all: 0 } }), n2], "rp-filter-strict"],
  ];
  for (const [what, path, cause] of cases) {
    const f = pathFinding(path, path);
    assert.equal(f.cause, cause, what);
    assert.ok(f.evidence.length > 0, `${what}: evidence`);
    assert.ok(CAUSES[f.cause].fix, `${what}: a documented cause`);
  }
  assert.equal(pathFinding([healthy("n1")], [healthy("n1"), healthy("n2", { uplink: { name: "eth0", mtu: 1200 } })]).cause, "mtu-mismatch");
});

test("node settings, MTU and services are judged on their own", () => {
  assert.equal(nodeConfigFinding(healthy("n1")), undefined);
  assert.equal(
    nodeConfigFinding(healthy("n1", { rpFilter: { uplink: 0, all: 1 } }))?.cause,
    "rp-filter-strict",
    "all.rp_filter counts too",
  );
  assert.equal(nodeConfigFinding(healthy("n1", { rpFilter: { uplink: 2, all: 0 } })), undefined, "loose is fine");
  assert.equal(mtuFinding([healthy("a"), healthy("b")]), undefined);
  const path = () => ({ cause: "unknown" as const, evidence: ["x"] });
  assert.equal(serviceFinding(healthy("n1", { proxy: { running: false, rules: false } }), 1, path).cause, "proxy-down");
  assert.equal(
    serviceFinding(healthy("n1", { proxy: { running: false, rules: true } }), 1, path).cause,
    "unknown",
    "rules still work without the proxy",
  );
  assert.equal(serviceFinding(healthy("n1", { proxy: { running: true, rules: false } }), 1, path).cause, "service-rules-missing");
  assert.equal(serviceFinding(healthy("n1", { proxy: { running: true, rules: true, error: "boom" } }), 1, path).cause, "agent-error");
  assert.equal(serviceFinding(healthy("n1"), 0, path).cause, "service-no-endpoints");
});
