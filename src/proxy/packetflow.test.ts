/**
 * Packet-flow tests in the manner of kube-proxy's runPacketFlowTests: the rules a full sync writes
 * (applied to an in-memory iptables) are traced packet by packet to the endpoints a connection can
 * reach, whether it is masqueraded, and the verdict — behaviour checked without a kernel.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { RecordingExecutor } from "../exec/fake.js";
import { FakeIptables, type Packet, tracePacket } from "../netfilter/index.js";
import { cidrContains, parseCIDR } from "../util/ip.js";
import { overall, testConfig } from "./fixtures.js";
import { IptablesProxier } from "./iptables/proxier.js";

const LOOPBACK = parseCIDR("127.0.0.0/8")!;
const local = (ip: string) => ip === "192.168.0.2" || cidrContains(LOOPBACK, ip);

interface Flow {
  name: string;
  from?: "outside" | "node";
  src: string;
  dst: string;
  dport: number;
  /** expect lists the outcomes: "ip:port" endpoints (with masq), or a verdict with no DNAT. */
  expect: { to?: string; verdict?: "ACCEPT" | "DROP" | "REJECT"; masq?: boolean; p?: number }[];
}

const FLOWS: Flow[] = [
  { name: "pod to ClusterIP", src: "10.0.0.2", dst: "172.30.0.41", dport: 80, expect: [{ to: "10.180.0.1:80", masq: false }] },
  {
    name: "outside the cluster CIDR to ClusterIP is masqueraded",
    src: "192.168.1.1",
    dst: "172.30.0.41",
    dport: 80,
    expect: [{ to: "10.180.0.1:80", masq: true }],
  },
  {
    name: "hairpin: an endpoint to its own service",
    src: "10.180.0.1",
    dst: "172.30.0.41",
    dport: 80,
    expect: [{ to: "10.180.0.1:80", masq: true }],
  },
  { name: "ClusterIP without endpoints is rejected", src: "10.0.0.2", dst: "172.30.0.46", dport: 80, expect: [{ verdict: "REJECT" }] },
  {
    name: "ClusterIP on another port is not a service",
    src: "10.0.0.2",
    dst: "172.30.0.41",
    dport: 8080,
    expect: [{ verdict: "ACCEPT", masq: false }],
  },
  { name: "NodePort from outside", src: "203.0.113.5", dst: "192.168.0.2", dport: 3003, expect: [{ to: "10.180.0.3:80", masq: true }] },
  {
    name: "NodePort on localhost, from the node",
    from: "node",
    src: "127.0.0.1",
    dst: "127.0.0.1",
    dport: 3003,
    expect: [{ to: "10.180.0.3:80", masq: true }],
  },
  {
    name: "the node to a ClusterIP is masqueraded",
    from: "node",
    src: "192.168.0.2",
    dst: "172.30.0.41",
    dport: 80,
    expect: [{ to: "10.180.0.1:80", masq: true }],
  },
  {
    name: "externalIP spreads over both endpoints",
    src: "203.0.113.5",
    dst: "192.168.99.33",
    dport: 80,
    expect: [
      { to: "10.180.0.4:80", masq: true, p: 0.5 },
      { to: "10.180.0.5:80", masq: true, p: 0.5 },
    ],
  },
  {
    name: "Local policy, LB IP from outside, no local endpoint: dropped",
    src: "203.0.113.5",
    dst: "1.2.3.4",
    dport: 80,
    expect: [{ verdict: "DROP" }],
  },
  {
    name: "Local policy, LB IP from a pod: short-circuited to the service",
    src: "10.0.0.2",
    dst: "1.2.3.4",
    dport: 80,
    expect: [{ to: "10.180.0.2:80", masq: false }],
  },
  {
    name: "Local policy, NodePort from outside, no local endpoint: dropped",
    src: "203.0.113.5",
    dst: "192.168.0.2",
    dport: 3001,
    expect: [{ verdict: "DROP" }],
  },
  {
    name: "health check node port is accepted",
    src: "203.0.113.5",
    dst: "192.168.0.2",
    dport: 30000,
    expect: [{ verdict: "ACCEPT", masq: false }],
  },
  {
    name: "LB source range: an allowed client",
    src: "203.0.113.5",
    dst: "5.6.7.8",
    dport: 80,
    expect: [{ to: "10.180.0.3:80", masq: true }],
  },
  { name: "LB source range: any other client is dropped", src: "203.0.113.200", dst: "5.6.7.8", dport: 80, expect: [{ verdict: "DROP" }] },
];

test("packets through kube-proxy's overall scenario reach the right endpoints, masqueraded as kube-proxy would", async () => {
  const ipt = new FakeIptables(4);
  await new IptablesProxier(overall(), testConfig, 4, new RecordingExecutor(), "fake", "nft", ipt).sync();
  const rules = (table: "raw" | "mangle" | "filter" | "nat", chain: string) => ipt.tables.get(table)?.get(chain);
  for (const f of FLOWS) {
    const pkt: Packet = { src: f.src, dst: f.dst, proto: "tcp", dport: f.dport };
    const got = tracePacket(rules, pkt, { local, from: f.from ?? "outside" }).map((o) => ({
      ...(o.dnat ? { to: o.dnat } : { verdict: o.verdict }),
      ...(o.verdict === "ACCEPT" ? { masq: o.masquerade } : {}),
      p: o.probability,
    }));
    const want = f.expect.map((e) => ({
      ...(e.to ? { to: e.to } : { verdict: e.verdict }),
      ...(e.masq !== undefined ? { masq: e.masq } : {}),
      p: e.p ?? 1,
    }));
    assert.deepEqual(got, want, f.name);
  }
});
