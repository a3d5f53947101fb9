import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseMonitor, predictedHop, sameHop } from "./kernel.js";
import type { Hop } from "./walk.js";

// `nft monitor` on a lab node while a pod opened a connection to a ClusterIP (iptables-nft rules and
// the nftables proxy): the SYN's events, then the following packets', which must not count.
const MONITOR = readFileSync(new URL("../../../../src/lab/trace/testdata/monitor-node-1.txt", import.meta.url), "utf8");

test("the kernel's trace: the first packet's DNAT chain and verdict, later packets and the trace table left out", () => {
  assert.deepEqual(parseMonitor("node-1", MONITOR, "podnet-trace-abc123"), {
    node: "node-1",
    dnat: "kube-proxy endpoint-QYTGA46O-default/web/tcp/http__10.244.1.3/8080",
    masquerade: false,
    verdict: "accept",
  });
  assert.equal(parseMonitor("node-2", "add table ip x\n", "x"), undefined, "a node the packet never reached");
});

test("the kernel's trace: drops and rejects, by nft rules, iptables-nft targets and base chain policies", () => {
  const lines = (...l: string[]) => l.map((x) => `trace id 1a ip ${x}`).join("\n");
  const pkt = 'filter FORWARD packet: iif "cni0" ip saddr 10.244.0.3 ip daddr 10.244.1.3 ip id 7 tcp dport 80';
  assert.deepEqual(
    parseMonitor("n", lines(pkt, 'filter PODNET-GI-X rule counter packets 0 bytes 0 xt target "REJECT" (verdict drop)'), "t"),
    { node: "n", masquerade: false, verdict: "reject", rule: 'filter PODNET-GI-X: counter packets 0 bytes 0 xt target "REJECT"' },
  );
  assert.deepEqual(parseMonitor("n", lines(pkt, "filter FORWARD policy drop"), "t")?.verdict, "drop");
  assert.deepEqual(
    parseMonitor("n", lines(pkt, "kube-proxy reject-chain rule reject (verdict drop)"), "t")?.rule,
    "kube-proxy reject-chain: reject",
  );
});

test("a predicted hop compares with the kernel's by node, DNAT chain and verdict (and the chain of the rule that dropped it)", () => {
  const hop = (rules: string[]): Hop => ({
    node: "node-1",
    flow: { src: "10.244.0.3", dst: "10.96.0.1", proto: "tcp", dport: 80 },
    verdict: "ACCEPT",
    rules,
    masquerade: false,
  });
  const ipt = hop([
    "nat: -A KUBE-SERVICES -d 10.96.0.1/32 -j KUBE-SVC-A",
    "nat: -A KUBE-SEP-B -p tcp -j DNAT --to-destination 10.244.1.3:80",
  ]);
  assert.ok(sameHop({ node: "node-1", dnat: "nat KUBE-SEP-B", masquerade: false, verdict: "accept" }, predictedHop(ipt, "accept")));
  assert.ok(!sameHop({ node: "node-1", dnat: "nat KUBE-SEP-C", masquerade: false, verdict: "accept" }, predictedHop(ipt, "accept")));
  const rej = hop([
    "ip kube-proxy service-endpoints-check: ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
    "ip kube-proxy reject-chain: reject",
  ]);
  assert.ok(
    sameHop({ node: "node-1", masquerade: false, verdict: "reject", rule: "kube-proxy reject-chain: reject" }, predictedHop(rej, "reject")),
  );
  assert.ok(!sameHop({ node: "node-1", masquerade: false, verdict: "drop", rule: "filter FORWARD: policy" }, predictedHop(rej, "drop")));
});

test("the kernel's trace of IPv6: the SYN's events (no IP id to go by), not the ACK's", () => {
  const ev = (id: string, rest: string) => `trace id ${id} ip6 ${rest}`;
  const syn =
    'packet: iif "cni0" ip6 saddr fd00:10:244::3 ip6 daddr fd00:10:96::1 ip6 nexthdr tcp tcp sport 40000 tcp dport 80 tcp flags == syn';
  const ack = syn.replace("flags == syn", "flags == ack");
  const text = [
    ev("a1", `kube-proxy nat-prerouting ${syn}`),
    ev("a1", "kube-proxy nat-prerouting rule jump services (verdict jump services)"),
    ev("a1", "kube-proxy endpoint-X rule meta l4proto tcp dnat to [fd00:10:244::5]:8080 (verdict accept)"),
    ev("a1", `filter FORWARD ${ack}`),
    ev("a1", 'filter PODNET-GI-Y rule xt target "REJECT" (verdict drop)'),
  ].join("\n");
  assert.deepEqual(parseMonitor("node-1", text, "t"), {
    node: "node-1",
    dnat: "kube-proxy endpoint-X",
    masquerade: false,
    verdict: "accept",
  });
});
