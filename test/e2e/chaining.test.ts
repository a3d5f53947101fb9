/**
 * podnet-cni first in a chain with the reference `portmap` plugin (Debian's
 * containernetworking-plugins), as a kubelet node runs it: a hostPort on a lab node reaches the
 * pod from the external host (TCP and UDP), and deleting the pod removes the plugin's rules (DEL
 * gets ADD's runtimeConfig). The same pod's bandwidth annotations are shaped both ways by the
 * node's QoS agent (the `bandwidth` plugin left the chain for it), whose ifb goes with the pod.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../src/model/types.js";
import { exec, serveIn, withLab } from "./helpers.js";

const POD = `apiVersion: v1
kind: Pod
metadata: {name: hp, annotations: {kubernetes.io/ingress-bandwidth: 10M, kubernetes.io/egress-bandwidth: 20M}}
spec:
  nodeName: node-2
  containers: [{name: e, ports: [{containerPort: 8080, hostPort: 8888}, {containerPort: 5353, hostPort: 5353, protocol: UDP}]}]
`;

test("chained portmap: hostPort from the external host, shaped traffic, clean DEL", { timeout: 90_000 }, async () => {
  await withLab(2, async (lab) => {
    await lab.ok(["apply", "-f", "-"], POD);
    const podIP = (await lab.json<Pod>(["get", "pod", "hp"])).status?.podIP ?? "";
    const tcp = JSON.parse((await lab.ok(["curl", "external", "http://172.18.0.12:8888/"])).split("\n")[1] ?? "{}") as {
      pod?: string;
      client?: string;
    };
    assert.deepEqual([tcp.pod, tcp.client], ["hp", "198.51.100.10"], "hostPort TCP from the external host");
    const udp = JSON.parse(await lab.ok(["curl", "external", "udp://172.18.0.12:5353"])) as { pod?: string; protocol?: string };
    assert.deepEqual([udp.pod, udp.protocol], ["hp", "UDP"], "hostPort UDP");

    // One server per run (-1), straight in the pod's namespace and awaited until it listens; the idle timeout ends it if no client comes.
    const rate = async (reverse: boolean) => {
      const server = await serveIn(lab.podNetns("hp"), ["iperf3", "-s", "-1", "--idle-timeout", "20"], ["-ltn", "sport = :5201"]);
      const out = await exec.run({
        argv: ["iperf3", "-c", podIP, "-t", "3", "-J", ...(reverse ? ["-R"] : [])],
        netns: lab.nodeNetns("node-1"),
        timeoutMs: 60_000,
      });
      const srv = await server.done;
      if (srv instanceof Error) throw srv;
      const r = JSON.parse(out.stdout) as { error?: string; end: { sum_received?: { bits_per_second: number } } };
      assert.equal(r.error, undefined, "iperf3 ran to its end");
      return (r.end.sum_received?.bits_per_second ?? 0) / 1e6;
    };
    const into = await rate(false);
    const out = await rate(true);
    console.log(`  shaped: into the pod ${into.toFixed(1)} Mbit/s (limit 10), out of it ${out.toFixed(1)} Mbit/s (limit 20)`);
    assert.ok(into > 7 && into < 11.5, `ingress shaped to 10M: ${into}`);
    assert.ok(out > 14 && out < 23, `egress shaped to 20M: ${out}`);

    await lab.ok(["delete", "pod", "hp"]);
    assert.doesNotMatch(
      await lab.ok(["exec-node", "node-2", "--", "iptables-save", "-t", "nat"]),
      /CNI-DN-/,
      "portmap's per-pod chain removed",
    );
    assert.doesNotMatch(await lab.ok(["exec-node", "node-2", "--", "ip", "link"]), /pb[0-9a-f]{11}/, "the QoS agent's ifb device removed");
  });
});
