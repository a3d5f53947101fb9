/** The policy engine's rules and sets on the real kernel: what it writes reads back as written (both iptables flavours, both families). */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { RealNodeKernel } from "../../src/dataplane/index.js";
import { createNetns, deleteNetns } from "../../src/iproute/index.js";
import { clusterView } from "../../src/policy/cluster.js";
import { PolicyEngine } from "../../src/policy/engine.js";
import { namespace, pod, policy, xyz } from "../../src/policy/fixtures.js";
import { exec } from "./helpers.js";

const NS = `pn-pr${randomBytes(3).toString("hex")}`;
const netns = { nft: `${NS}-nft`, legacy: `${NS}-leg` };

before(async () => {
  for (const n of Object.values(netns)) await createNetns(exec, n);
});
after(async () => {
  for (const n of Object.values(netns)) await deleteNetns(exec, n);
});

const POLICIES = [
  policy("x", "deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
  policy("y", "mixed", {
    podSelector: { matchExpressions: [{ key: "pod", operator: "NotIn", values: ["c"] }] },
    ingress: [
      {
        from: [{ namespaceSelector: { matchLabels: { ns: "x" } }, podSelector: { matchLabels: { pod: "a" } } }],
        ports: [{ port: "serve-81-tcp" }],
      },
      {
        from: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.244.2.0/24"] } }],
        ports: [
          { port: 80, endPort: 81 },
          { protocol: "UDP", port: 80 },
        ],
      },
      { from: [{ ipBlock: { cidr: "fd00::/8" } }], ports: [{ protocol: "SCTP", port: 80 }] },
    ],
    egress: [{ to: [{ namespaceSelector: {} }], ports: [{ protocol: "UDP" }] }],
  }),
];

for (const flavour of ["nft", "legacy"] as const) {
  test(`rules and sets read back as written (iptables-${flavour}, IPv4 and IPv6)`, async () => {
    const k = new RealNodeKernel(exec, netns[flavour], flavour);
    const e = new PolicyEngine(k, { node: "node-1", families: [4, 6], deny: "reject", nflogGroup: 100 });
    const { pods, namespaces } = xyz();
    pods.push(pod("y", "v6", "node-1", "fd00::10", { pod: "a" }));
    const logged = [...namespaces.filter((n) => n.metadata.name !== "y"), namespace("y", { ns: "y" }, { "podnet.io/log-denied": "true" })];
    const view = clusterView({ pods, namespaces: logged, policies: POLICIES });
    assert.ok((await e.sync(view)).changes > 0);
    const again = await e.sync(view, true);
    assert.equal(again.changes, 0, "a full sync against the kernel finds nothing to change");
    // Removing every policy leaves the base chains and empty maps, and no policy chain or peer set.
    await e.sync(clusterView({ pods, namespaces, policies: [] }));
    assert.equal((await e.sync(clusterView({ pods, namespaces, policies: [] }), true)).changes, 0);
    const save = await k.iptables(4).save("filter");
    assert.doesNotMatch(save, /PODNET-(P|G)[IE]-/);
    assert.deepEqual([...(await k.ipset.sets("PODNET-")).keys()].sort(), [
      "PODNET-4-MAP-EGRESS",
      "PODNET-4-MAP-INGRESS",
      "PODNET-6-MAP-EGRESS",
      "PODNET-6-MAP-INGRESS",
    ]);
  });
}
