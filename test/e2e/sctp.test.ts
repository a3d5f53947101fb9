/**
 * SCTP services proven with real packets. This kernel has SCTP conntrack and NAT but no SCTP
 * sockets, so `tools/sctp_probe.py` writes INIT chunks through a raw socket and catches them on the
 * endpoint the same way: what arrives shows the proxy's DNAT (ClusterIP and named targetPort) and
 * masquerade (NodePort from outside), and the node's conntrack table shows the SCTP flow.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { externalNetns } from "../../src/lab/layout.js";
import type { Pod, Service } from "../../src/model/types.js";
import { ExecError } from "../../src/exec/types.js";
import { exec, serveIn, type TestLab, withLab } from "./helpers.js";
import { nodeRun } from "./routing-cases.js";

const PROBE = fileURLToPath(new URL("../../../test/e2e/tools/sctp_probe.py", import.meta.url));

const MANIFEST = `
apiVersion: v1
kind: Pod
metadata: {name: sctp-server, labels: {app: sctp}}
spec:
  nodeName: node-2
  containers: [{name: s, image: echo, ports: [{containerPort: 8080}, {name: assoc, containerPort: 7777, protocol: SCTP}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: node-1
  containers: [{name: c, image: echo, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: sctp}
spec:
  type: NodePort
  selector: {app: sctp}
  ports: [{name: assoc, port: 9999, targetPort: assoc, protocol: SCTP}]
`;

interface Caught {
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  chunk?: number;
  error?: string;
}

/** catchInit listens on the server pod, straight in its namespace, while `send` writes INIT chunks, and returns what arrived. */
async function catchInit(lab: TestLab, send: () => Promise<unknown>): Promise<Caught> {
  const argv = ["python3", PROBE, "listen", "--timeout", "10"];
  const listening = await serveIn(lab.podNetns("sctp-server"), argv, ["-wan", "sport = :132"], 30_000);
  await send();
  const r = await listening.done;
  if (r instanceof ExecError) return JSON.parse(r.stdout.trim() || "{}") as Caught;
  if (r instanceof Error) throw r;
  return JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}") as Caught;
}

test("SCTP: ClusterIP and NodePort DNAT with real INIT chunks, masquerade from outside, conntrack", { timeout: 120_000 }, async () => {
  await withLab(2, async (lab) => {
    await lab.ok(["apply", "-f", "-"], MANIFEST);
    const svc = await lab.json<Service>(["get", "service", "sctp"]);
    const server = await lab.json<Pod>(["get", "pod", "sctp-server"]);
    const client = await lab.json<Pod>(["get", "pod", "client"]);
    const nodePort = svc.spec.ports?.[0]?.nodePort;

    const rules = await nodeRun(lab, "node-1", ["iptables-save", "-t", "nat"]);
    assert.match(rules, new RegExp(`-d ${svc.spec.clusterIP}/32 -p sctp .*-m sctp --dport 9999 -j KUBE-SVC-`));

    // A pod on node-1 sends to the ClusterIP: the server on node-2 gets it on the named target port, source kept.
    const viaClusterIP = await catchInit(lab, () =>
      lab.ok(["exec", "client", "--", "python3", PROBE, "send", svc.spec.clusterIP ?? "", "9999", "--sport", "40001"]),
    );
    assert.deepEqual(viaClusterIP, { src: client.status?.podIP, dst: server.status?.podIP, sport: 40001, dport: 7777, chunk: 1 });
    const flows = await nodeRun(lab, "node-1", ["conntrack", "-L", "-p", "sctp"]);
    assert.match(
      flows,
      new RegExp(
        `src=${client.status?.podIP} dst=${svc.spec.clusterIP} sport=40001 dport=9999 .*src=${server.status?.podIP} dst=${client.status?.podIP} sport=7777`,
      ),
    );

    // The external host sends to node-1's NodePort: DNATed to node-2's pod and masqueraded to node-1's IP.
    const viaNodePort = await catchInit(lab, () =>
      exec.run({ argv: ["python3", PROBE, "send", "172.18.0.11", String(nodePort), "--sport", "40002"], netns: externalNetns(lab.name) }),
    );
    assert.equal(viaNodePort.dst, server.status?.podIP);
    assert.equal(viaNodePort.dport, 7777);
    assert.equal(viaNodePort.src, "172.18.0.11", "traffic from outside is masqueraded to the receiving node");
    assert.equal(viaNodePort.chunk, 1, "an INIT chunk");
  });
});
