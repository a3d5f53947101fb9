/**
 * The routing suite's shared cases in host-gw and bgp mode on the lab on etcd, with node agents
 * (vxlan runs in lab-etcd.test.ts): pods on every node, pod to pod across nodes with the source
 * kept, node to pod, ClusterIP to other nodes' endpoints, and egress with the node's address; and a
 * NodePort answered on every node's address from the external host.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
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

for (const mode of ["host-gw", "bgp"])
  test(`the lab on etcd, ${mode}: pods, services and routing through node agents`, { timeout: 240_000 }, async () => {
    await withLab(
      3,
      async (lab) => {
        await sharedCases(lab, mode);
        await nodePorts(lab);
      },
      ["--datastore", "etcd", "--node-agent", "--routing-mode", mode],
    );
  });
