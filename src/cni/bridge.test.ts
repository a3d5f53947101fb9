import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeIpNode, IpTransaction, renderText } from "../iproute/index.js";
import { FakeIptables } from "../netfilter/index.js";
import { bridgeHostPlan, bridgePodPlan } from "./bridge.js";
import type { Attachment } from "./datapath.js";
import { masqTransaction, unmasqTransaction } from "./masq.js";

const a: Attachment = {
  hostVeth: "pn0123456789a",
  hostMac: "02:00:00:00:00:01",
  podIf: "eth0",
  podMac: "02:00:00:00:00:02",
  netns: "/var/run/netns/p1",
  mtu: 1450,
  ips: [
    { address: "10.244.0.5/24", gateway: "10.244.0.1" },
    { address: "fd00:10:244::5/64", gateway: "fd00:10:244::1" },
  ],
  routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
};
const opts = { bridge: "cni0", isGateway: true, hairpin: true };

test("host batch: gateway addresses (idempotent), bridge up, the veth created on the bridge and up, hairpin, the bridge shown", () => {
  assert.equal(
    renderText(bridgeHostPlan(opts, a)),
    `# ip -batch -
address replace 10.244.0.1/24 dev cni0
address replace fd00:10:244::1/64 dev cni0 nodad
link set cni0 up
link add pn0123456789a mtu 1450 address 02:00:00:00:00:01 master cni0 up type veth peer name eth0 mtu 1450 address 02:00:00:00:00:02 netns /var/run/netns/p1
link set pn0123456789a type bridge_slave hairpin on
link show dev cni0
`,
  );
});

test("pod batch: addresses, link up, default routes per family via that family's gateway", () => {
  assert.equal(
    renderText(bridgePodPlan(a)),
    `# ip -batch -
link set lo up
address add 10.244.0.5/24 dev eth0
address add fd00:10:244::5/64 dev eth0 nodad
link set eth0 up
route add 0.0.0.0/0 via 10.244.0.1 dev eth0
route add ::/0 via fd00:10:244::1 dev eth0
`,
  );
});

test("both sides applied to fake namespaces give the pod its addresses and the host its bridge port", async () => {
  const world = new Map<string, FakeIpNode>();
  const host = new FakeIpNode(null, world);
  const pod = new FakeIpNode(a.netns, world);
  await assert.rejects(
    host.apply(bridgeHostPlan(opts, a)),
    /Cannot find device "cni0"/,
    "no bridge yet: the batch fails at its first line",
  );
  await host.apply(new IpTransaction().addLink({ name: "cni0", kind: "bridge" }));
  const shown = await host.apply(bridgeHostPlan(opts, a));
  assert.equal(shown[0]?.name, "cni0");
  await pod.apply(bridgePodPlan(a));
  assert.equal((await host.link("pn0123456789a"))?.link.master, "cni0");
  assert.deepEqual(
    (await host.link("cni0"))?.addresses.map((x) => x.cidr),
    ["10.244.0.1/24", "fd00:10:244::1/64"],
  );
  assert.deepEqual(
    (await pod.link("eth0"))?.addresses.map((x) => x.cidr),
    ["10.244.0.5/24", "fd00:10:244::5/64"],
  );
  assert.deepEqual(
    pod.dump().filter((l) => l.startsWith("route")),
    ["route 0.0.0.0/0 via 10.244.0.1 dev eth0", "route ::/0 via fd00:10:244::1 dev eth0"],
  );
});

test("masquerade: add and remove are mirror images, per family; removal deletes only what is there", async () => {
  const o = { network: "n", containerId: "c", ifname: "eth0" };
  const add = masqTransaction(o, a.ips, 4);
  assert.equal(
    add.render(),
    `*nat
:PN-MASQ-0D9F4279C0988F30 - [0:0]
-A PN-MASQ-0D9F4279C0988F30 -d 10.244.0.0/24 -m comment --comment "name: n id: c" -j ACCEPT
-A PN-MASQ-0D9F4279C0988F30 ! -d 224.0.0.0/4 -m comment --comment "name: n id: c" -j MASQUERADE
-A POSTROUTING -s 10.244.0.5/32 -m comment --comment "name: n id: c" -j PN-MASQ-0D9F4279C0988F30
COMMIT
`,
  );
  const ipt = new FakeIptables(4);
  await ipt.apply(add);
  const del = unmasqTransaction(o, 4, (await ipt.list("nat", "POSTROUTING")) ?? [], await ipt.list("nat", "PN-MASQ-0D9F4279C0988F30"));
  await ipt.apply(del);
  assert.equal(ipt.dump("nat"), new FakeIptables(4).dump("nat"), "nothing of the attachment is left");
  assert.ok(unmasqTransaction(o, 4, [], undefined).empty, "already gone: nothing to do");
  assert.ok(masqTransaction(o, a.ips.slice(0, 1), 6).empty);
});
