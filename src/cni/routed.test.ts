import assert from "node:assert/strict";
import { test } from "node:test";
import { renderText } from "../iproute/index.js";
import type { Attachment } from "./datapath.js";
import { routedHostPlan, routedIps, routedPodPlan, routedSysctls } from "./routed.js";

const a: Attachment = {
  hostVeth: "pn0123456789a",
  hostMac: "",
  podIf: "eth0",
  podMac: "0a:00:00:00:00:05",
  netns: "/var/run/netns/pod",
  mtu: 1450,
  ips: [{ address: "10.244.0.5/24", gateway: "10.244.0.1" }, { address: "fd00:10:244::5/64" }],
  routes: [],
};

test("routed mode: host route per pod address, /32 and /128 in the pod, link-local gateways", () => {
  assert.equal(
    renderText(routedHostPlan(a)),
    [
      "# ip -batch -",
      "link add pn0123456789a mtu 1450 address ee:ee:ee:ee:ee:ee type veth peer name eth0 mtu 1450 address 0a:00:00:00:00:05 netns /var/run/netns/pod",
      "link set pn0123456789a up",
      "route replace 10.244.0.5/32 dev pn0123456789a scope link",
      "route replace fd00:10:244::5/128 dev pn0123456789a scope link",
      "",
    ].join("\n"),
  );
  assert.equal(
    renderText(routedPodPlan(a)),
    [
      "# ip -batch -",
      "link set lo up",
      "address add 10.244.0.5/32 dev eth0",
      "address add fd00:10:244::5/128 dev eth0 nodad",
      "link set eth0 up",
      "route add 169.254.1.1/32 dev eth0 scope link",
      "route add default via 169.254.1.1 dev eth0",
      "route add default via fe80::ecee:eeff:feee:eeee dev eth0",
      "",
    ].join("\n"),
  );
  assert.deepEqual(routedIps(a.ips), [
    { address: "10.244.0.5/32", gateway: "169.254.1.1" },
    { address: "fd00:10:244::5/128", gateway: "fe80::ecee:eeff:feee:eeee" },
  ]);
  assert.deepEqual(
    [...routedSysctls("pn0123456789a", a.ips).sysctls],
    [
      ["net.ipv4.conf.pn0123456789a.proxy_arp", "1"],
      ["net.ipv4.neigh.pn0123456789a.proxy_delay", "0"],
      ["net.ipv4.conf.pn0123456789a.forwarding", "1"],
      ["net.ipv6.conf.pn0123456789a.forwarding", "1"],
    ],
  );
});
