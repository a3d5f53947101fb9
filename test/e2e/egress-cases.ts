/**
 * The Subnet and egress case, shared by the embedded store's test (vxlan, bgp) and the etcd lab's:
 * namespaces bound to Subnets get addresses from per-node blocks (never twice, excluded ranges and
 * the gateway skipped); the external host sees the node IP for natOutgoing pods, the pod IP for a
 * `natOutgoing: false` Subnet (and reaches those pods directly), and the gateway node's IP for a
 * centralized Subnet — the second gateway's once the first node is removed. Pods of every pool
 * reach each other.
 */
import assert from "node:assert/strict";
import type { Node, Pod, Subnet } from "../../src/model/types.js";
import { cidrContains, parseCIDR } from "../../src/util/ip.js";
import type { TestLab } from "./helpers.js";

type List<T> = { items: T[] };
interface Echo {
  pod?: string;
  client?: string;
  error?: string;
}

const deployment = (ns: string, replicas: number) => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec: {containers: [{name: e, ports: [{containerPort: 8080}]}]}
`;

const MANIFEST = `
apiVersion: v1
kind: Namespace
metadata: {name: exposed}
---
apiVersion: v1
kind: Namespace
metadata: {name: central}
---
apiVersion: podnet.io/v1
kind: Subnet
metadata: {name: exposed}
spec: {cidrBlock: 10.66.0.0/16, namespaces: [exposed], natOutgoing: false}
---
apiVersion: podnet.io/v1
kind: Subnet
metadata: {name: central}
spec:
  cidrBlock: 10.77.0.0/16
  gateway: 10.77.0.1
  excludeIps: [10.77.0.2..10.77.0.10]
  namespaces: [central]
  gatewayType: centralized
  gatewayNode: node-1,node-2
${deployment("exposed", 3)}${deployment("central", 3)}${deployment("default", 3)}`;

const INTERNET = "http://198.51.100.10/";
const lines = (out: string): Echo[] =>
  out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Echo);

async function podsIn(lab: TestLab, ns: string): Promise<Pod[]> {
  return (await lab.json<List<Pod>>(["get", "pods", "-n", ns])).items.filter((p) => p.status?.phase === "Running");
}

async function egressSources(lab: TestLab, ns: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const p of await podsIn(lab, ns)) {
    const [e] = lines((await lab.cli(["curl", "-n", ns, p.metadata.name, INTERNET, INTERNET])).stdout);
    out.set(p.metadata.name, e?.client ?? `${e?.error} (pod ${p.status?.podIP} on ${p.spec.nodeName})`);
  }
  return out;
}

/** subnetsAndEgress runs the case on a 3-node lab in the given routing mode. */
export async function subnetsAndEgress(lab: TestLab, mode: string): Promise<void> {
  await lab.ok(["apply", "-f", "-"], MANIFEST);
  const exposed = await podsIn(lab, "exposed");
  const central = await podsIn(lab, "central");
  const plain = await podsIn(lab, "default");
  const all = [...exposed, ...central, ...plain];
  assert.equal(all.length, 9);
  const ips = all.map((p) => p.status?.podIP ?? "");
  assert.equal(new Set(ips).size, 9, `no address handed out twice: ${ips}`);
  const inside = (p: Pod, cidr: string) => cidrContains(parseCIDR(cidr)!, p.status?.podIP ?? "");
  assert.ok(
    exposed.every((p) => inside(p, "10.66.0.0/16")),
    "exposed pods draw from their Subnet",
  );
  const reserved = Array.from({ length: 10 }, (_, i) => `10.77.0.${i + 1}`); // gateway .1, excludeIps .2-.10
  assert.ok(
    central.every((p) => inside(p, "10.77.0.0/16") && !reserved.includes(p.status?.podIP ?? "")),
    "gateway and excludeIps skipped",
  );
  assert.ok(
    plain.every((p) => inside(p, "10.244.0.0/16")),
    "other namespaces keep the node's pod CIDR",
  );
  const subnet = await lab.json<Subnet>(["get", "subnet", "exposed"]);
  const blocks = subnet.status?.blocks ?? [];
  assert.equal(new Set(blocks.map((b) => b.node)).size, blocks.length, "one block per node here");
  for (const p of exposed)
    assert.ok(
      blocks.some((b) => b.node === p.spec.nodeName && inside(p, b.cidr)),
      `${p.metadata.name} is in its node's block`,
    );

  // Every pool reaches every pool.
  const urls = all.map((p) => `http://${p.status?.podIP}:8080/`);
  for (const src of [exposed[0]!, central[2]!, plain[1]!]) {
    const got = lines(await lab.ok(["curl", "-n", src.metadata.namespace!, src.metadata.name, ...urls]));
    assert.deepEqual(
      got.map((e) => e.pod),
      all.map((p) => p.metadata.name),
      `from ${src.metadata.name}`,
    );
    assert.ok(
      got.every((e) => e.client === src.status?.podIP),
      "pod-to-pod keeps the source across pools",
    );
  }
  if (mode === "bgp") {
    const routes = await lab.ok(["exec-node", "node-1", "--", "ip", "route", "show", "proto", "bird"]);
    for (const b of blocks.filter((x) => x.node !== "node-1"))
      assert.match(routes, new RegExp(`^${b.cidr.replace(/\./g, "\\.")} via`, "m"));
  }

  // Egress: node IP (natOutgoing), pod IP (natOutgoing: false), gateway node IP (centralized).
  const nodeIP = new Map(
    (await lab.json<List<Node>>(["get", "nodes"])).items.map((n) => [n.metadata.name, n.status?.addresses?.[0]?.address ?? ""]),
  );
  for (const p of plain) assert.equal((await egressSources(lab, "default")).get(p.metadata.name), nodeIP.get(p.spec.nodeName!));
  for (const [name, seen] of await egressSources(lab, "exposed"))
    assert.equal(seen, exposed.find((p) => p.metadata.name === name)?.status?.podIP, `${name} leaves with its own IP`);
  assert.deepEqual([...new Set((await egressSources(lab, "central")).values())], ["172.18.0.11"], "all via gateway node-1");
  // The outside world reaches exposed pods by their own addresses.
  const direct = lines(await lab.ok(["curl", "external", ...exposed.map((p) => `http://${p.status?.podIP}:8080/`)]));
  assert.deepEqual(
    direct.map((e) => e.client),
    ["198.51.100.10", "198.51.100.10", "198.51.100.10"],
  );

  // The first gateway node goes away: egress moves to the second.
  await lab.ok(["node", "remove", "node-1"]);
  assert.equal((await lab.json<Subnet>(["get", "subnet", "central"])).status?.activeGateway, "node-2");
  assert.deepEqual([...new Set((await egressSources(lab, "central")).values())], ["172.18.0.12"], "all via gateway node-2");
}
