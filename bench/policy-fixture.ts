/**
 * The policy benchmark's cluster: 1 000 pods in 50 namespaces over 10 nodes (node-1 holds pods
 * 0…99, among them the two real pods the latency is measured between) and 1 000 policies (two of them admit the measured pair; named to sort last, so the packet first passes every other policy of its groups) of mixed
 * shape — pod selectors, namespace selectors, both, matchExpressions, ipBlocks with exceptions,
 * named and numeric ports, ranges, egress rules — 20 per namespace.
 */
import type { Namespace, NetworkPolicy, Pod } from "../src/model/types.js";
import { namespace, pod, policy } from "../src/policy/fixtures.js";

const NS = 50;

/** benchPod is pod i: namespace ns<i%50>, labels app<i%100>, tier t<i%5>, on node-<1 + floor(i/100)>. */
export function benchPod(i: number): Pod {
  const ip = `10.244.${Math.floor(i / 250)}.${(i % 250) + 2}`;
  return pod(`ns${i % NS}`, `p${i}`, `node-${1 + Math.floor(i / 100)}`, ip, { app: `app${i % 100}`, tier: `t${i % 5}` });
}

function policyN(j: number): NetworkPolicy {
  const ns = `ns${j % NS}`;
  const app = `app${j % 100}`;
  const peerApp = `app${(j * 7) % 100}`;
  const shape = Math.floor(j / NS) % 5;
  const specs: NetworkPolicy["spec"][] = [
    {
      podSelector: { matchLabels: { app } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: peerApp } } }], ports: [{ port: 80 }] }],
    },
    {
      podSelector: { matchLabels: { app } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: `team${j % 7}` } } }], ports: [{ port: "serve-81-tcp" }] }],
    },
    {
      podSelector: { matchExpressions: [{ key: "tier", operator: "In", values: [`t${j % 5}`, `t${(j + 1) % 5}`] }] },
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { team: `team${j % 7}` } }, podSelector: { matchLabels: { tier: `t${j % 5}` } } }],
          ports: [{ port: 8000, endPort: 8100 }],
        },
      ],
    },
    {
      podSelector: { matchLabels: { app } },
      ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8", except: [`10.244.${j % 4}.0/24`] } }], ports: [{ protocol: "UDP", port: 53 }] }],
    },
    {
      podSelector: { matchLabels: { app } },
      policyTypes: ["Egress"],
      egress: [{ to: [{ namespaceSelector: { matchLabels: { team: `team${j % 7}` } } }] }],
    },
  ];
  return policy(ns, `pol${j}`, specs[shape] as NetworkPolicy["spec"]);
}

/** benchCluster is the 1 000 pods, 50 namespaces and 1 000 policies, plus one that admits pod 0 to pod 50 (the measured pair). */
export function benchCluster(): { pods: Pod[]; namespaces: Namespace[]; policies: NetworkPolicy[] } {
  const pods = Array.from({ length: 1000 }, (_, i) => benchPod(i));
  const namespaces = Array.from({ length: NS }, (_, i) => namespace(`ns${i}`, { team: `team${i % 7}` }));
  const policies = Array.from({ length: 998 }, (_, j) => policyN(j));
  policies.push(
    policy("ns0", "zz-measured", {
      podSelector: { matchLabels: { app: "app50" } },
      ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: "app0" } } }], ports: [{ port: 80 }] }],
    }),
    policy("ns0", "zz-measured-egress", {
      podSelector: { matchLabels: { app: "app0" } },
      policyTypes: ["Egress"],
      egress: [{ to: [{ podSelector: { matchLabels: { app: "app50" } } }], ports: [{ port: 80 }] }],
    }),
  );
  for (const o of [...pods, ...namespaces, ...policies]) o.metadata.resourceVersion = "1";
  return { pods, namespaces, policies };
}
