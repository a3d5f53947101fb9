/**
 * The policy sets of the truth-table tests, after the upstream netpol e2e suite: each a function of
 * the running cluster (ipBlocks need the pods' addresses). Consecutive cases reuse policy names,
 * so the suite also updates policies in place and deletes the ones the next case lacks.
 */
import type { Cluster, MPolicy } from "./netpol-model.js";

/** Case is one policy set. */
export interface Case {
  name: string;
  policies: (c: Cluster) => MPolicy[];
}

const ip = (c: Cluster, ns: string, name: string) => c.pods.find((p) => p.ns === ns && p.name === name)?.ip as string;
const p = (ns: string, name: string, spec: MPolicy["spec"]): MPolicy => ({ ns, name, spec });
const ALL = { podSelector: {} };
const nsSel = (ns: string) => ({ namespaceSelector: { matchLabels: { ns } } });

/** CASES are run in order. */
export const CASES: Case[] = [
  { name: "no policies", policies: () => [] },
  { name: "deny all ingress in x", policies: () => [p("x", "p1", ALL)] },
  { name: "deny all egress in x", policies: () => [p("x", "p1", { ...ALL, policyTypes: ["Egress"] })] },
  {
    name: "deny all both ways in y (update to both types)",
    policies: () => [p("y", "p1", { ...ALL, policyTypes: ["Ingress", "Egress"] })],
  },
  {
    name: "allow ingress from the same namespace in x",
    policies: () => [p("x", "p1", { ...ALL, ingress: [{ from: [{ podSelector: {} }] }] })],
  },
  { name: "allow ingress to x from namespace y", policies: () => [p("x", "p1", { ...ALL, ingress: [{ from: [nsSel("y")] }] })] },
  {
    name: "AND: ingress to x/a from pods b in namespace y",
    policies: () => [
      p("x", "p1", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{ from: [{ ...nsSel("y"), podSelector: { matchLabels: { pod: "b" } } }] }],
      }),
    ],
  },
  {
    name: "OR: ingress to x/a from namespace y or from pods b of x",
    policies: () => [
      p("x", "p1", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{ from: [nsSel("y"), { podSelector: { matchLabels: { pod: "b" } } }] }],
      }),
    ],
  },
  {
    name: "namespaceSelector by the kubernetes.io/metadata.name label, all pods",
    policies: () => [
      p("y", "p2", { ...ALL, ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "z" } } }] }] }),
    ],
  },
  {
    name: "namespaceSelector {} admits every namespace's pods, no ipBlock",
    policies: () => [p("z", "p1", { ...ALL, ingress: [{ from: [{ namespaceSelector: {} }] }] })],
  },
  {
    name: "named port: ingress to x only on serve-81-tcp",
    policies: () => [p("x", "p1", { ...ALL, ingress: [{ ports: [{ port: "serve-81-tcp" }] }] })],
  },
  {
    name: "a named port no pod declares is valid and matches nothing",
    policies: () => [p("x", "p1", { ...ALL, ingress: [{ ports: [{ port: "serve-99-tcp" }] }] })],
  },
  {
    name: "numeric port: ingress to x on TCP 80 only",
    policies: () => [p("x", "p1", { ...ALL, ingress: [{ ports: [{ protocol: "TCP", port: 80 }] }] })],
  },
  {
    name: "endPort: ingress to y on TCP 80-81 from x",
    policies: () => [p("y", "p1", { ...ALL, ingress: [{ from: [nsSel("x")], ports: [{ port: 80, endPort: 81 }] }] })],
  },
  {
    name: "UDP only: ingress to x on UDP 80",
    policies: () => [p("x", "p1", { ...ALL, ingress: [{ ports: [{ protocol: "UDP", port: 80 }] }] })],
  },
  {
    name: "protocol without port: egress from z on UDP only",
    policies: () => [p("z", "p1", { ...ALL, policyTypes: ["Egress"], egress: [{ ports: [{ protocol: "UDP" }] }] })],
  },
  {
    name: "ipBlock with except: ingress to x from the pod network less y/b",
    policies: (c) => [
      p("x", "p1", {
        ...ALL,
        ingress: [
          {
            from: [{ ipBlock: { cidr: `${ip(c, "y", "b").split(".").slice(0, 2).join(".")}.0.0/16`, except: [`${ip(c, "y", "b")}/32`] } }],
          },
        ],
      }),
    ],
  },
  {
    name: "ipBlock egress: x may reach only z/c's address",
    policies: (c) => [
      p("x", "p1", { ...ALL, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: `${ip(c, "z", "c")}/32` } }] }] }),
    ],
  },
  {
    name: "matchExpressions: In and NotIn select targets, Exists and DoesNotExist peers",
    policies: () => [
      p("x", "p1", {
        podSelector: { matchExpressions: [{ key: "pod", operator: "In", values: ["a", "b"] }] },
        ingress: [
          {
            from: [{ podSelector: { matchExpressions: [{ key: "pod", operator: "Exists" }] }, namespaceSelector: {} }],
            ports: [{ port: 80 }],
          },
        ],
      }),
      p("y", "p1", {
        podSelector: { matchExpressions: [{ key: "pod", operator: "NotIn", values: ["a"] }] },
        ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: "role", operator: "DoesNotExist" }] } }] }],
      }),
    ],
  },
  {
    name: "union: x/a admits y by one policy and z on 81 by another, deny-all adds nothing",
    policies: () => [
      p("x", "p1", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [nsSel("y")] }] }),
      p("x", "p2", { podSelector: { matchLabels: { pod: "a" } }, ingress: [{ from: [nsSel("z")], ports: [{ port: 81 }] }] }),
      p("x", "p3", ALL),
    ],
  },
  {
    name: "egress to namespace z only, from x",
    policies: () => [p("x", "p1", { ...ALL, egress: [{ to: [nsSel("z")] }], policyTypes: ["Egress"] })],
  },
  {
    name: "egress by named port of the destination: serve-80-udp",
    policies: () => [p("y", "p1", { ...ALL, policyTypes: ["Egress"], egress: [{ ports: [{ port: "serve-80-udp", protocol: "UDP" }] }] })],
  },
  { name: "empty ingress rule {} admits all though the pods are selected", policies: () => [p("z", "p1", { ...ALL, ingress: [{}] })] },
  {
    name: "both types, egress [{}] open, ingress empty: ingress denied",
    policies: () => [p("z", "p1", { ...ALL, policyTypes: ["Ingress", "Egress"], egress: [{}] })],
  },
  {
    name: "egress denied from x/a and ingress allowed to z/b from x: both sides count",
    policies: () => [
      p("x", "p1", { podSelector: { matchLabels: { pod: "a" } }, policyTypes: ["Egress"] }),
      p("z", "p1", { podSelector: { matchLabels: { pod: "b" } }, ingress: [{ from: [nsSel("x")] }] }),
    ],
  },
  {
    name: "update in place: z/p1 now admits only namespace y on UDP",
    policies: () => [
      p("z", "p1", {
        podSelector: { matchLabels: { pod: "b" } },
        ingress: [{ from: [nsSel("y")], ports: [{ protocol: "UDP", port: 80 }] }],
      }),
    ],
  },
  { name: "policy selecting no pods changes nothing", policies: () => [p("x", "p1", { podSelector: { matchLabels: { pod: "none" } } })] },
  { name: "deletion: every policy removed reopens everything", policies: () => [] },
];
