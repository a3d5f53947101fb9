/**
 * Static pod addresses in the lab, through the real plugin: podnet's, kube-ovn's and Calico's
 * annotations give a pod its IP (and MAC), in a Subnet or in a node's pod CIDR; conflicts, the
 * gateway and addresses no node holds fail with a clear error and leave the other pods running —
 * on the embedded store and on etcd.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../src/model/types.js";
import { withLab } from "./helpers.js";

type List<T> = { items: T[] };

const MANIFEST = `apiVersion: v1
kind: Namespace
metadata: {name: blue}
---
apiVersion: podnet.io/v1
kind: Subnet
metadata: {name: blue}
spec: {cidrBlock: 10.66.0.0/16, namespaces: [blue]}
---
apiVersion: v1
kind: Pod
metadata: {name: ovn, namespace: blue, annotations: {ovn.kubernetes.io/ip_address: 10.66.3.7, ovn.kubernetes.io/mac_address: "0a:58:0a:42:03:07"}}
spec: {containers: [{name: e, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: calico, annotations: {cni.projectcalico.org/ipAddrs: '["10.244.1.77"]'}}
spec: {containers: [{name: e, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: own, annotations: {podnet.io/ip_address: 10.244.0.50}}
spec: {containers: [{name: e, ports: [{containerPort: 8080}]}]}
`;

const BAD = `apiVersion: v1
kind: Pod
metadata: {name: dup, namespace: blue, annotations: {podnet.io/ip_address: 10.66.3.7}}
spec: {containers: [{name: e}]}
---
apiVersion: v1
kind: Pod
metadata: {name: gateway, annotations: {podnet.io/ip_address: 10.244.0.1}}
spec: {containers: [{name: e}]}
---
apiVersion: v1
kind: Pod
metadata: {name: nowhere, annotations: {podnet.io/ip_address: 10.99.0.1}}
spec: {containers: [{name: e}]}
`;

// On the embedded store and on etcd (with node agents): the same addresses and the same refusals.
for (const [store, upArgs] of [
  ["embedded", []],
  ["etcd", ["--datastore", "etcd", "--node-agent"]],
] as const)
  test(`${store}: static IPs and MACs from podnet, kube-ovn and Calico annotations; clear failures`, { timeout: 120_000 }, async () => {
    await withLab(
      2,
      async (lab) => {
        await lab.ok(["apply", "-f", "-"], MANIFEST);
        const pods = (await lab.json<List<Pod>>(["get", "pods", "-A"])).items;
        const ip = (name: string) => pods.find((p) => p.metadata.name === name)?.status?.podIP;
        assert.equal(ip("ovn"), "10.66.3.7");
        assert.equal(ip("calico"), "10.244.1.77");
        assert.equal(
          pods.find((p) => p.metadata.name === "calico")?.spec.nodeName,
          "node-2",
          "scheduled to the node holding 10.244.1.0/24",
        );
        assert.equal(ip("own"), "10.244.0.50");
        assert.match(await lab.ok(["exec", "-n", "blue", "ovn", "--", "ip", "link", "show", "eth0"]), /link\/ether 0a:58:0a:42:03:07 /);
        const answers = (await lab.ok(["curl", "own", "http://10.66.3.7:8080/", "http://10.244.1.77:8080/"])).trim().split("\n");
        assert.deepEqual(
          answers.map((l) => (JSON.parse(l) as { pod: string }).pod),
          ["ovn", "calico"],
          "static pods serve on their addresses",
        );

        const r = await lab.cli(["apply", "-f", "-"], BAD);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /"blue\/dup".*requested IP 10\.66\.3\.7 is already allocated/);
        assert.match(r.stderr, /"default\/gateway".*requested IP 10\.244\.0\.1 is the gateway of 10\.244\.0\.0\/24/);
        const nowhere = await lab.json<Pod>(["get", "pod", "nowhere"]);
        assert.equal(nowhere.status?.phase, "Pending");
        assert.match(String(nowhere.status?.message), /no node's pod CIDR or Subnet holds the static IP 10\.99\.0\.1/);
        const after = (await lab.json<List<Pod>>(["get", "pods", "-A"])).items.filter((p) => p.status?.phase === "Running");
        assert.deepEqual(after.map((p) => p.metadata.name).sort(), ["calico", "ovn", "own"], "the valid pods keep running");
      },
      [...upArgs],
    );
  });
