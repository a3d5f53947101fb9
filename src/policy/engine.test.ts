import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { FakeNodeKernel } from "../dataplane/index.js";
import type { NetworkPolicy, Pod } from "../model/types.js";
import { parseIpsetSave, parseSave, iptablesChains, tracePacket } from "../netfilter/index.js";

import { clusterView } from "./cluster.js";
import { PolicyEngine } from "./engine.js";
import { namespace, pod, policy, xyz } from "./fixtures.js";

const GOLDEN = new URL("../../../src/policy/testdata/node-1.golden", import.meta.url);

const POLICIES: NetworkPolicy[] = [
  policy("x", "deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
  policy("x", "allow-y", {
    podSelector: { matchLabels: { pod: "a" } },
    ingress: [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { ns: "y" } },
            podSelector: { matchExpressions: [{ key: "pod", operator: "In", values: ["b", "c"] }] },
          },
        ],
        ports: [{ port: "serve-81-tcp" }],
      },
      {
        from: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.244.2.0/24"] } }],
        ports: [
          { port: 80, endPort: 81 },
          { protocol: "UDP", port: 80 },
        ],
      },
    ],
    egress: [{ to: [{ podSelector: {} }] }],
  }),
];

function engine(k = new FakeNodeKernel()) {
  return { k, e: new PolicyEngine(k, { node: "node-1", families: [4], deny: "reject", nflogGroup: 100 }) };
}

const view = (pods: Pod[], policies = POLICIES) => clusterView({ pods, namespaces: xyz().namespaces, policies });

test("a node's policy rules and sets match the golden file", async () => {
  const { k, e } = engine();
  await e.sync(view(xyz().pods));
  const text = `${k.dump()}\n`;
  if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, text);
  assert.equal(text, readFileSync(GOLDEN, "utf8"));
});

test("a second sync changes nothing, also a full one that reads the kernel back", async () => {
  const { k, e } = engine();
  const v = view(xyz().pods);
  assert.ok((await e.sync(v)).changes > 0);
  assert.equal((await e.sync(v)).changes, 0);
  assert.equal((await e.sync(v, true)).changes, 0);
  // A restarted engine reads the group numbers back and rewrites nothing.
  assert.equal((await engine(k).e.sync(v, true)).changes, 0);
});

test("a pod coming changes set members only; a policy change rewrites only its chain", async () => {
  const { k, e } = engine();
  await e.sync(view(xyz().pods));
  const before = k.ipt[4].restores;
  await e.sync(view([...xyz().pods, pod("y", "d", "node-2", "10.244.1.20", { pod: "b" })]));
  assert.equal(k.ipt[4].restores, before, "no iptables restore for a new peer pod");
  assert.match(k.ipset.dump(), /10\.244\.1\.20/);
  const changed = POLICIES.map((p) =>
    p.metadata.name === "allow-y" ? { ...p, spec: { ...p.spec, egress: [{ ports: [{ port: 53, protocol: "UDP" as const }] }] } } : p,
  );
  const r = await e.sync(view(xyz().pods, changed));
  // Its egress chain is written again (declare, rules) and the set only it used is destroyed.
  assert.ok(r.changes > 0 && r.changes <= 5, `changes ${r.changes}`);
  assert.equal(k.ipt[4].restores, before + 1);
});

test("pods of another node, and policies that select none of this node's pods, add no rules", async () => {
  const { k, e } = engine();
  await e.sync(clusterView({ pods: [pod("x", "a", "node-2", "10.244.0.10")], namespaces: [namespace("x")], policies: POLICIES }));
  assert.doesNotMatch(k.dump(), /PODNET-P[IE]-/);
});

test("a private subnet admits only itself, its allowSubnets and the nodes: one rule per range, one set", async () => {
  const { k, e } = engine();
  const v = clusterView({
    pods: xyz().pods,
    namespaces: xyz().namespaces,
    policies: [],
    subnets: [
      {
        apiVersion: "podnet.io/v1",
        kind: "Subnet",
        metadata: { name: "priv" },
        spec: { cidrBlock: "10.70.0.0/16,fd70::/64", private: true, allowSubnets: ["10.71.0.0/16", "fd71::/64"] },
      },
      { apiVersion: "podnet.io/v1", kind: "Subnet", metadata: { name: "open" }, spec: { cidrBlock: "10.72.0.0/16" } },
    ],
    nodes: [
      {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: "node-1" },
        spec: {},
        status: { addresses: [{ type: "InternalIP", address: "172.18.0.11" }] },
      },
    ],
  });
  await e.sync(v);
  const dump = k.dump();
  assert.match(
    dump,
    /^-A PODNET-FORWARD -d 10\.70\.0\.0\/16 -m set ! --match-set (PODNET-4-\S+) src -m comment --comment "denied by private subnet priv" -j REJECT --reject-with icmp-port-unreachable$/m,
  );
  const set = /--match-set (PODNET-4-\S+) src -m comment --comment "denied by private/.exec(dump)?.[1];
  assert.deepEqual(
    dump.split("\n").filter((l) => l.startsWith(`add ${set} `)),
    [`add ${set} 10.70.0.0/16`, `add ${set} 10.71.0.0/16`, `add ${set} 172.18.0.11`],
  );
  assert.doesNotMatch(dump, /10\.72\./);
  assert.equal((await e.sync(v)).changes, 0);
});

test("traced through the golden rules and sets, packets get the verdicts the policies give, naming the rule that decided", () => {
  const text = readFileSync(GOLDEN, "utf8");
  const [ipsets = "", v4 = ""] = text.split(/^# (?:iptables|ip6tables)$/m);
  const sets = parseIpsetSave(ipsets, "");
  const rules = parseSave(v4);
  const flows: [string, string, string, number, string, RegExp?][] = [
    ["y/b to x/a on its named port 81", "10.244.1.11", "10.244.0.10", 81, "ACCEPT"],
    ["y/a to x/a on 80, through the ipBlock", "10.244.1.10", "10.244.0.10", 80, "ACCEPT"],
    ["z/b to x/a: the ipBlock's exception", "10.244.2.11", "10.244.0.10", 81, "REJECT", /ingress of x\/allow-y|PODNET-GI-/],
    ["y/b to x/c, isolated by deny-all", "10.244.1.11", "10.244.0.12", 80, "REJECT", /-A PODNET-GI-RS5A6D3TNM4RESJN -j REJECT/],
    ["y/b to x/b, which lives on another node", "10.244.1.11", "10.244.0.11", 80, "ACCEPT"],
    ["x/a to z/c: egress only to its namespace", "10.244.0.10", "10.244.2.12", 80, "REJECT", /-A PODNET-GE-KTHWNGX5Z6X2SZZ2 -j REJECT/],
    ["z/a to y/a: neither end on this node is selected", "10.244.2.10", "10.244.1.10", 80, "ACCEPT"],
  ];
  for (const [what, src, dst, dport, verdict, rule] of flows) {
    const out = tracePacket(iptablesChains(rules), { src, dst, proto: "tcp", dport }, { local: () => false, from: "outside", sets });
    assert.deepEqual(
      out.map((o) => [o.probability, o.verdict]),
      [[1, verdict]],
      what,
    );
    if (rule) assert.match(out[0]?.rules.join("\n") ?? "", rule, `${what}: ${out[0]?.rules.join(" | ")}`);
  }
});
