import assert from "node:assert/strict";
import { test } from "node:test";
import { parseManifest } from "../model/parse.js";
import type { Node, Pod, Subnet } from "../model/types.js";
import { validateObject } from "../model/validate/index.js";
import { emptyData, MemoryTxn } from "../store/memory.js";
import { admit, DEFAULT_CLUSTER, runControllers, subnetForNamespace } from "./index.js";

function cluster(nodes: number): MemoryTxn {
  const tx = new MemoryTxn(emptyData());
  for (const ns of ["default", "blue", "green"]) tx.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  for (let i = 1; i <= nodes; i++)
    tx.put({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: `node-${i}` },
      spec: {},
      status: { conditions: [{ type: "Ready", status: "True" }] },
    });
  return tx;
}

function apply(tx: MemoryTxn, yaml: string): void {
  for (const d of parseManifest(yaml)) {
    if ("error" in d) throw d.error;
    admit(tx, validateObject(d.object), DEFAULT_CLUSTER);
  }
  runControllers(tx, DEFAULT_CLUSTER);
}

const pods = (ns: string, node: string, n: number, from = 0) =>
  Array.from(
    { length: n },
    (_, i) => `---
apiVersion: v1
kind: Pod
metadata: {name: p${from + i}-${node}, namespace: ${ns}}
spec: {nodeName: ${node}, containers: [{name: c}]}
`,
  ).join("");

const SUBNET = `apiVersion: podnet.io/v1
kind: Subnet
metadata: {name: blue}
spec: {cidrBlock: 10.66.0.0/16, namespaces: [blue], blockSize: 28, gateway: 10.66.0.1, excludeIps: ["10.66.0.2..10.66.0.4"]}
`;

const subnet = (tx: MemoryTxn, name = "blue") => tx.get<Subnet>({ kind: "Subnet", name })!;

test("Subnet blocks: one per node that runs its pods, another when full, never overlapping, released with the node", () => {
  const tx = cluster(3);
  apply(tx, SUBNET + pods("blue", "node-1", 2) + pods("blue", "node-2", 1) + pods("default", "node-3", 2));
  assert.deepEqual(subnet(tx).status?.blocks, [
    { cidr: "10.66.0.0/28", node: "node-1" },
    { cidr: "10.66.0.16/28", node: "node-2" },
  ]);
  apply(tx, pods("blue", "node-1", 13, 2)); // 15 pods > 13 per /28 block
  assert.deepEqual(
    subnet(tx)
      .status?.blocks?.filter((b) => b.node === "node-1")
      .map((b) => b.cidr),
    ["10.66.0.0/28", "10.66.0.32/28"],
  );
  tx.delete({ kind: "Node", name: "node-2" });
  runControllers(tx, DEFAULT_CLUSTER);
  assert.ok(!subnet(tx).status?.blocks?.some((b) => b.node === "node-2"), "gone node's block released");
  const before = JSON.stringify(subnet(tx));
  runControllers(tx, DEFAULT_CLUSTER);
  assert.equal(JSON.stringify(subnet(tx)), before, "reconcile twice: no change");
});

test("namespaces find their Subnet by name, else the default Subnet, else none", () => {
  const tx = cluster(1);
  apply(
    tx,
    `${SUBNET}---\napiVersion: podnet.io/v1\nkind: Subnet\nmetadata: {name: dflt}\nspec: {cidrBlock: 10.67.0.0/16, default: true}\n`,
  );
  const subs = tx.list<Subnet>("Subnet");
  assert.equal(subnetForNamespace(subs, "blue")?.metadata.name, "blue");
  assert.equal(subnetForNamespace(subs, "green")?.metadata.name, "dflt");
  assert.equal(subnetForNamespace(subs.slice(0, 1), "green"), undefined);
});

test("centralized Subnets pick the first live gateway node, then the next", () => {
  const tx = cluster(3);
  apply(
    tx,
    "apiVersion: podnet.io/v1\nkind: Subnet\nmetadata: {name: c}\nspec: {cidrBlock: 10.70.0.0/16, gatewayType: centralized, gatewayNode: 'node-1, node-2'}\n",
  );
  assert.equal(subnet(tx, "c").status?.activeGateway, "node-1");
  const n1 = tx.get<Node>({ kind: "Node", name: "node-1" })!;
  tx.put({ ...n1, status: { conditions: [{ type: "Ready", status: "False" }] } });
  runControllers(tx, DEFAULT_CLUSTER);
  assert.equal(subnet(tx, "c").status?.activeGateway, "node-2");
  tx.delete({ kind: "Node", name: "node-2" });
  runControllers(tx, DEFAULT_CLUSTER);
  assert.equal(subnet(tx, "c").status?.activeGateway, undefined, "no live gateway");
});

test("Subnet validation names the field", () => {
  const cases: [string, RegExp][] = [
    ["{cidrBlock: 10.66.0.1/16}", /spec\.cidrBlock: Invalid value/],
    ["{cidrBlock: '10.66.0.0/16,10.67.0.0/16'}", /one IPv4 and one IPv6/],
    ["{cidrBlock: 10.66.0.0/16, gateway: 10.1.0.1}", /spec\.gateway: Invalid value: "10\.1\.0\.1": must be inside/],
    ["{cidrBlock: 10.66.0.0/16, excludeIps: ['10.66.0.9..10.66.0.2']}", /spec\.excludeIps\[0\]/],
    ["{cidrBlock: 10.66.0.0/16, namespaces: [Bad_NS]}", /spec\.namespaces\[0\]/],
    ["{cidrBlock: 10.66.0.0/16, gatewayType: central}", /spec\.gatewayType: Unsupported value/],
    ["{cidrBlock: 10.66.0.0/16, natOutgoing: 'no'}", /spec\.natOutgoing/],
    ["{cidrBlock: 10.66.0.0/16, blockSize: 12}", /spec\.blockSize/],
  ];
  for (const [spec, want] of cases) {
    const [d] = parseManifest(`apiVersion: podnet.io/v1\nkind: Subnet\nmetadata: {name: s}\nspec: ${spec}\n`);
    assert.ok(d && "error" in d, spec);
    assert.match(d.error.message, want, spec);
    assert.match(d.error.message, /Subnet "s"/);
  }
  const [ok] = parseManifest(
    "apiVersion: podnet.io/v1\nkind: Subnet\nmetadata: {name: s}\nspec: {cidrBlock: '10.66.0.0/16,fd00:66::/64'}\n",
  );
  assert.ok(ok && "object" in ok, "dual-stack cidrBlock is valid");
});

test("pods of Subnet namespaces on one node never share an address with another node's", () => {
  const tx = cluster(3);
  apply(tx, SUBNET + pods("blue", "node-1", 20) + pods("blue", "node-2", 20) + pods("blue", "node-3", 20));
  const blocks = subnet(tx).status?.blocks ?? [];
  const seen = new Set<string>();
  for (const b of blocks) {
    assert.ok(!seen.has(b.cidr), `block ${b.cidr} handed out twice`);
    seen.add(b.cidr);
  }
  assert.equal(blocks.length, 6, "two /28 blocks per node for 20 pods");
  assert.equal(tx.list<Pod>("Pod").length, 60);
});

test("static IPs place the pod: on the node holding its block or pod CIDR; a free block follows the pod; nowhere is Pending", () => {
  const tx = cluster(3);
  apply(tx, SUBNET + pods("blue", "node-2", 1));
  const staticPod = (name: string, ns: string, ip: string) =>
    `---\napiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${ns}, annotations: {podnet.io/ip_address: "${ip}"}}\nspec: {containers: [{name: c}]}\n`;
  apply(
    tx,
    staticPod("s1", "blue", "10.66.0.5") +
      staticPod("s2", "blue", "10.66.1.5") +
      staticPod("s3", "default", "10.244.2.9") +
      staticPod("s4", "default", "10.99.0.1"),
  );
  const get = (name: string, ns: string) => tx.get<Pod>({ kind: "Pod", namespace: ns, name })!;
  assert.equal(get("s1", "blue").spec.nodeName, "node-2", "10.66.0.0/28 belongs to node-2");
  const s2 = get("s2", "blue").spec.nodeName!;
  assert.ok(
    subnet(tx).status?.blocks?.some((b) => b.cidr === "10.66.1.0/28" && b.node === s2),
    "the free block went to s2's node",
  );
  assert.equal(get("s3", "default").spec.nodeName, "node-3", "10.244.2.0/24 is node-3's pod CIDR");
  assert.equal(get("s4", "default").spec.nodeName, undefined);
  assert.match(String(get("s4", "default").status?.message), /no node's pod CIDR or Subnet holds the static IP 10\.99\.0\.1/);
});
