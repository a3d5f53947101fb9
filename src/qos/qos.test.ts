import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeNodeKernel, renderSections } from "../dataplane/index.js";
import { IpTransaction } from "../iproute/index.js";
import type { KubeObject, Pod } from "../model/types.js";
import { podQosSpec, specErrors } from "./annotations.js";
import { ifbName, mirrorSink, type PodQos } from "./plan.js";
import { syncQos } from "./sync.js";

const pod = (name: string, annotations: Record<string, string> = {}, namespace = "default"): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace, annotations },
  spec: { nodeName: "n1", containers: [] },
});

test("annotations: kube-ovn's Mbit/s win over Kubernetes quantities; bad values name the annotation", () => {
  const table: [Record<string, string>, number | undefined, number | undefined, string[]][] = [
    [{ "ovn.kubernetes.io/ingress_rate": "20", "ovn.kubernetes.io/egress_rate": "0.5" }, 20e6, 0.5e6, []],
    [{ "kubernetes.io/ingress-bandwidth": "10M", "kubernetes.io/egress-bandwidth": "1G" }, 10e6, 1e9, []],
    [{ "kubernetes.io/egress-bandwidth": "1G", "ovn.kubernetes.io/egress_rate": "30" }, undefined, 30e6, []],
    [{ "ovn.kubernetes.io/egress_rate": "0" }, undefined, undefined, []],
    [{ "ovn.kubernetes.io/egress_rate": "fast" }, undefined, undefined, ['ovn.kubernetes.io/egress_rate: "fast" is not a rate in Mbit/s']],
    [{ "ovn.kubernetes.io/egress_rate": "-5" }, undefined, undefined, ['ovn.kubernetes.io/egress_rate: "-5" is negative']],
    [
      { "ovn.kubernetes.io/ingress_rate": "100001" },
      undefined,
      undefined,
      ['ovn.kubernetes.io/ingress_rate: "100001" is above 100 Gbit/s'],
    ],
    [{ "kubernetes.io/ingress-bandwidth": "200G" }, undefined, undefined, ['kubernetes.io/ingress-bandwidth: "200G" is above 100 Gbit/s']],
    [
      { "kubernetes.io/ingress-bandwidth": "10 M" },
      undefined,
      undefined,
      ['kubernetes.io/ingress-bandwidth: "10 M" is not a quantity (such as 10M or 1G)'],
    ],
    [{ "kubernetes.io/ingress-bandwidth": "500" }, undefined, undefined, ['kubernetes.io/ingress-bandwidth: "500" is below 1 kbit/s']],
  ];
  for (const [a, ingress, egress, errors] of table) {
    const s = podQosSpec(pod("p", a));
    const val = (x: typeof s.ingress) => ("value" in x ? x.value : undefined);
    assert.deepEqual(
      [val(s.ingress), val(s.egress), specErrors(s).map((e) => e.replace(/; the previous.*/, ""))],
      [ingress, egress, errors],
      JSON.stringify(a),
    );
  }
  const ns: KubeObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "m", annotations: { "podnet.io/mirror": "true" } } };
  assert.deepEqual(podQosSpec(pod("p", {}, "m"), ns).mirror, { value: true }, "the namespace's default");
  assert.deepEqual(podQosSpec(pod("p", { "ovn.kubernetes.io/mirror": "false" }, "m"), ns).mirror, { value: false }, "the pod's own wins");
  assert.match(specErrors(podQosSpec(pod("p", { "ovn.kubernetes.io/latency": "10" })))[0] ?? "", /no netem/);
});

/** node is a fake node with one veth per pod, described by the pod's key as podnet-cni does. */
async function node(...keys: string[]): Promise<FakeNodeKernel> {
  const k = new FakeNodeKernel();
  const tx = new IpTransaction();
  keys.forEach((key, i) => tx.addLink({ name: `pn000000000${i}a`, alias: key, kind: "veth", up: true, peer: { name: `p${i}` } }));
  await k.ip.apply(tx);
  return k;
}

const NS = new Map<string, KubeObject>();

test("a pod's limits and mirroring become tc objects; a second sync changes nothing; a change touches only its qdisc", async () => {
  const k = await node("default/a", "default/b");
  const a = pod("a", { "ovn.kubernetes.io/ingress_rate": "20", "ovn.kubernetes.io/egress_rate": "50", "ovn.kubernetes.io/mirror": "true" });
  const r = await syncQos(k, { pods: [a, pod("b")], namespaces: NS, enforced: new Map(), mirrorIface: "mirror0" });
  const dev = "pn0000000000a";
  const ifb = ifbName(dev);
  assert.deepEqual(r.pods["default/a"], { ingress: 20e6, egress: 50e6, mirror: true, dev, ifb, errors: [] });
  assert.deepEqual(r.pods["default/b"], { mirror: false, dev: "pn0000000001a", errors: [] });
  assert.equal(r.applied.length, 2, "the mirror interface is made, then brought up");
  const m = { kind: "mirred", mode: "mirror", to: "mirror0" };
  assert.deepEqual(k.tc.devs.get(dev), {
    root: { rate: 20e6, burst: 65536, latencyMs: 25 },
    clsact: true,
    filters: { ingress: [m, { kind: "mirred", mode: "redirect", to: ifb }], egress: [m] },
  });
  assert.deepEqual(k.tc.devs.get(ifb)?.root, { rate: 50e6, burst: 65536, latencyMs: 25 });
  assert.equal(k.tc.devs.get("pn0000000001a"), undefined, "an unshaped pod gets nothing");
  assert.match(k.dump(), new RegExp(`link mirror0 veth up[\\s\\S]*link ${mirrorSink("mirror0")} veth up`));
  assert.equal(k.sysctls.get(`net.ipv4.conf.${mirrorSink("mirror0")}.arp_ignore`), "8");

  const again = await syncQos(k, { pods: [a, pod("b")], namespaces: NS, enforced: r.enforced, mirrorIface: "mirror0" });
  assert.equal(again.applied.length, 0, "sync twice: nothing to do");

  const slower = pod("a", { ...a.metadata.annotations, "ovn.kubernetes.io/egress_rate": "20" });
  const changed = await syncQos(k, { pods: [slower, pod("b")], namespaces: NS, enforced: again.enforced, mirrorIface: "mirror0" });
  assert.equal(
    renderSections(changed.applied.flatMap((t) => t.render())),
    `# tc -batch -\nqdisc replace dev ${ifb} root handle 1: tbf rate 20000000bit burst 65536 latency 25ms\n`,
  );

  const gone = await syncQos(k, { pods: [pod("a"), pod("b")], namespaces: NS, enforced: changed.enforced, mirrorIface: "mirror0" });
  assert.equal(
    renderSections(gone.applied.flatMap((t) => t.render())),
    `# tc -batch -\nqdisc del dev ${dev} root\nqdisc del dev ${dev} clsact\n\n# ip -batch -\nlink del ${ifb}\n`,
    "removing the annotations removes the limits; the ifb goes after the filter that used it",
  );
});

test("a bad value keeps what was enforced, also across an agent restart (read back from the kernel)", async () => {
  const k = await node("default/a");
  const good = await syncQos(k, {
    pods: [pod("a", { "ovn.kubernetes.io/egress_rate": "50" })],
    namespaces: NS,
    enforced: new Map(),
    mirrorIface: undefined,
  });
  const bad = pod("a", { "ovn.kubernetes.io/egress_rate": "fast", "ovn.kubernetes.io/mirror": "true" });
  for (const enforced of [good.enforced, new Map<string, PodQos>()]) {
    const r = await syncQos(k, { pods: [bad], namespaces: NS, enforced: enforced, mirrorIface: undefined });
    assert.equal(r.applied.length, 0);
    assert.equal(r.pods["default/a"]?.egress, 50e6);
    assert.deepEqual(r.pods["default/a"]?.errors, [
      'ovn.kubernetes.io/egress_rate: "fast" is not a rate in Mbit/s; the previous setting stays',
      "mirroring is not enabled on this node (start its agent with --enable-mirror)",
    ]);
  }
});

test("a pod whose veth is not there yet is reported without a device, and shaped once it appears", async () => {
  const k = await node();
  const a = pod("a", { "kubernetes.io/ingress-bandwidth": "10M" });
  const r = await syncQos(k, { pods: [a], namespaces: NS, enforced: new Map(), mirrorIface: undefined });
  assert.deepEqual([r.applied.length, r.pods["default/a"]?.dev, r.enforced.size], [0, undefined, 0]);
  await k.ip.apply(new IpTransaction().addLink({ name: "pn0000000000a", alias: "default/a", kind: "veth", peer: { name: "p0" } }));
  const later = await syncQos(k, { pods: [a], namespaces: NS, enforced: r.enforced, mirrorIface: undefined });
  assert.equal(later.pods["default/a"]?.dev, "pn0000000000a");
  assert.equal(k.tc.devs.get("pn0000000000a")?.root !== undefined, true);
});
