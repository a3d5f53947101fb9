import assert from "node:assert/strict";
import { test } from "node:test";
import { deciding } from "./trace.js";

test("lab trace keeps the deciding rules and the jumps, gotos and verdict maps that led there, for iptables and nftables", () => {
  assert.deepEqual(
    deciding([
      "ip kube-proxy filter-prerouting: ct state new jump firewall-check",
      "ip kube-proxy nat-prerouting: jump services",
      "ip kube-proxy services: ip daddr . meta l4proto . th dport vmap @service-ips",
      "ip kube-proxy service-A: numgen random mod 2 vmap { 0 : goto endpoint-B, 1 : goto endpoint-C }",
      "ip kube-proxy endpoint-B: meta l4proto tcp dnat to 10.244.0.2:8080",
      "mangle: -A FORWARD -j PODNET-MARK",
      "filter: -A FORWARD -j PODNET-FORWARD",
      "filter: -A PODNET-FORWARD -d 10.244.0.2 -j REJECT",
    ]),
    [
      "ip kube-proxy nat-prerouting: jump services",
      "ip kube-proxy services: ip daddr . meta l4proto . th dport vmap @service-ips",
      "ip kube-proxy service-A: numgen random mod 2 vmap { 0 : goto endpoint-B, 1 : goto endpoint-C }",
      "ip kube-proxy endpoint-B: meta l4proto tcp dnat to 10.244.0.2:8080",
      "filter: -A FORWARD -j PODNET-FORWARD",
      "filter: -A PODNET-FORWARD -d 10.244.0.2 -j REJECT",
    ],
  );
});
