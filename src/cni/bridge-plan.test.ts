import assert from "node:assert/strict";
import { test } from "node:test";
import { type AttachPlan, masqRules, renderHostBatch, renderMasq, renderPodBatch } from "./bridge-plan.js";

const plan: AttachPlan = {
  bridge: "cni0",
  bridgeMac: "",
  hostVeth: "pn0123456789a",
  hostMac: "02:00:00:00:00:01",
  podIf: "eth0",
  podMac: "02:00:00:00:00:02",
  netnsPath: "/var/run/netns/p1",
  mtu: 1450,
  hairpin: true,
  isGateway: true,
  ips: [
    { address: "10.244.0.5/24", gateway: "10.244.0.1" },
    { address: "fd00:10:244::5/64", gateway: "fd00:10:244::1" },
  ],
  routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
};

test("host batch: gateway addresses (idempotent), bridge up, the veth created on the bridge and up, hairpin", () => {
  assert.equal(
    renderHostBatch(plan),
    `address replace 10.244.0.1/24 dev cni0
address replace fd00:10:244::1/64 dev cni0 nodad
link set cni0 up
link add pn0123456789a mtu 1450 address 02:00:00:00:00:01 master cni0 up type veth peer name eth0 mtu 1450 address 02:00:00:00:00:02 netns /var/run/netns/p1
link set pn0123456789a type bridge_slave hairpin on
`,
  );
});

test("pod batch: addresses, link up, default routes per family via that family's gateway", () => {
  assert.equal(
    renderPodBatch(plan),
    `link set lo up
address add 10.244.0.5/24 dev eth0
address add fd00:10:244::5/64 dev eth0 nodad
link set eth0 up
route add 0.0.0.0/0 via 10.244.0.1 dev eth0
route add ::/0 via fd00:10:244::1 dev eth0
`,
  );
});

test("masquerade rules: add and remove are mirror images, per family", () => {
  const r = masqRules("PN-MASQ-X", plan.ips, "name: n id: c");
  assert.equal(
    renderMasq(r[4], 4),
    `*nat
:PN-MASQ-X - [0:0]
-A PN-MASQ-X -d 10.244.0.0/24 -m comment --comment "name: n id: c" -j ACCEPT
-A PN-MASQ-X ! -d 224.0.0.0/4 -m comment --comment "name: n id: c" -j MASQUERADE
-A POSTROUTING -s 10.244.0.5/32 -m comment --comment "name: n id: c" -j PN-MASQ-X
COMMIT
`,
  );
  assert.equal(
    renderMasq(r[6], 6, true),
    `*nat
-D POSTROUTING -s fd00:10:244::5/128 -m comment --comment "name: n id: c" -j PN-MASQ-X
-F PN-MASQ-X
-X PN-MASQ-X
COMMIT
`,
  );
  assert.equal(renderMasq([], 4), "");
});
