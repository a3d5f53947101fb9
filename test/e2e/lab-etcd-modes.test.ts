/**
 * The routing suite's shared cases in host-gw and bgp mode on the lab on etcd, with node agents
 * (vxlan runs in lab-etcd.test.ts): pods on every node, pod to pod across nodes with the source
 * kept, node to pod, ClusterIP to other nodes' endpoints, and egress with the node's address; and a
 * NodePort answered on every node's address from the external host; in host-gw, a node added to
 * the running lab (its certificate and etcd user made on the way) and removed again (they go).
 */
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { test } from "node:test";
import { pkiDir } from "../../src/lab/etcdmembers.js";
import { LabPaths } from "../../src/lab/layout.js";
import { certFiles } from "../../src/lab/pki.js";
import type { Pod } from "../../src/model/types.js";
import { etcdctl } from "./etcdlab.js";
import { type TestLab, withLab } from "./helpers.js";
import { lines, nodeIPs, sharedCases } from "./routing-cases.js";

const NODEPORT = `
apiVersion: v1
kind: Service
metadata: {name: web-np}
spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, targetPort: http, nodePort: 30080}]}
`;

/** nodePorts checks that the external host reaches the web pods through every node's NodePort. */
async function nodePorts(lab: TestLab): Promise<void> {
  await lab.ok(["apply", "-f", "-"], NODEPORT);
  for (const [node, ip] of await nodeIPs(lab)) {
    const got = lines(await lab.ok(["curl", "external", `http://${ip}:30080/`, `http://${ip}:30080/`]));
    assert.ok(
      got.every((e) => !e.error && e.pod?.startsWith("web-")),
      `NodePort on ${node}: ${JSON.stringify(got)}`,
    );
  }
}

const JOINER = `
apiVersion: v1
kind: Pod
metadata: {name: joiner}
spec: {nodeName: node-4, containers: [{name: e, ports: [{containerPort: 8080}]}]}
`;

/**
 * nodeJoinsAndLeaves adds node-4 to the running lab: its agent reaches etcd with its own
 * certificate, a pod on it answers a pod on node-1 with the source kept, and its certificate reads
 * but cannot write a Deployment. Removed, its etcd user goes: a copy of its certificate opens nothing.
 */
async function nodeJoinsAndLeaves(lab: TestLab): Promise<void> {
  assert.match(await lab.ok(["node", "add"]), /node "node-4" \(172\.18\.0\.14\) added/);
  await lab.ok(["apply", "-f", "-"], JOINER);
  const pods = (await lab.json<{ items: Pod[] }>(["get", "pods"])).items;
  const joiner = pods.find((p) => p.metadata.name === "joiner");
  const from = pods.find((p) => p.spec.nodeName === "node-1" && p.status?.phase === "Running")!;
  assert.equal(joiner?.status?.phase, "Running");
  const url = `http://${joiner?.status?.podIP}:8080/`;
  const [answer] = lines(await lab.ok(["curl", from.metadata.name, url, url])); // two URLs: one JSON line each
  assert.deepEqual([answer?.pod, answer?.client], ["joiner", from.status?.podIP]);
  const node4 = lab.nodeNetns("node-4");
  assert.match((await etcdctl(lab, node4, "node-node-4", ["get", "/podnet/v1/core/Node/_/node-4", "--keys-only"])).out, /node-4/);
  const forged = await etcdctl(lab, node4, "node-node-4", ["put", "/podnet/v1/apps/Deployment/default/forged", "{}"]);
  assert.match(forged.out, /permission denied/);
  // Keep a copy of its certificate, then remove the node.
  const dir = pkiDir(new LabPaths(lab.stateDir, lab.name));
  const [cert, copy] = [certFiles(dir, "node-node-4"), certFiles(dir, "kept-node-4")];
  copyFileSync(cert.cert, copy.cert);
  copyFileSync(cert.key, copy.key);
  await lab.ok(["node", "remove", "node-4"]);
  const after = await etcdctl(lab, lab.nodeNetns("node-1"), "kept-node-4", ["get", "/podnet/v1/core/Node/_/node-1", "--keys-only"]);
  assert.notEqual(after.code, 0, "a removed node's certificate reads nothing");
  assert.doesNotMatch(after.out, /\/podnet\/v1\//);
}

for (const mode of ["host-gw", "bgp"])
  test(`the lab on etcd, ${mode}: pods, services and routing through node agents`, { timeout: 240_000 }, async () => {
    await withLab(
      3,
      async (lab) => {
        await sharedCases(lab, mode);
        await nodePorts(lab);
        if (mode === "host-gw") await nodeJoinsAndLeaves(lab);
      },
      ["--datastore", "etcd", "--node-agent", "--routing-mode", mode],
    );
  });
