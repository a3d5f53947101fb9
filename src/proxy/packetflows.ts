/**
 * Packet flows through kube-proxy's overall scenario (fixtures.ts), in the manner of kube-proxy's
 * runPacketFlowTests: for each first packet, the endpoints a connection can reach, whether it is
 * masqueraded, and the verdict. One list serves every proxy backend: the iptables rules traced in
 * memory (packetflow.test.ts) and the nftables table as the kernel lists it (test/e2e).
 */
import { type HookChain, type Packet, tracePacket } from "../netfilter/index.js";
import { cidrContains, parseCIDR } from "../util/ip.js";

const LOOPBACK = parseCIDR("127.0.0.0/8")!;
/** local says which addresses are the test node's own. */
export const local = (ip: string) => ip === "192.168.0.2" || cidrContains(LOOPBACK, ip);

/** Flow is one first packet and what should become of it. */
export interface Flow {
  name: string;
  from?: "outside" | "node";
  src: string;
  dst: string;
  dport: number;
  /** expect lists the outcomes. */
  expect: Expect[];
  /** nftables is the nftables mode's outcome where kube-proxy's nftables mode differs on purpose. */
  nftables?: Expect[];
}

/** Expect is one outcome: an "ip:port" endpoint (with masq), or a verdict with no DNAT. */
type Expect = { to?: string; verdict?: "ACCEPT" | "DROP" | "REJECT"; masq?: boolean; p?: number };

/** FLOWS are the scenario's flows. */
export const FLOWS: Flow[] = [
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
    // kube-proxy's nftables mode rejects the ports a ClusterIP does not serve (cluster-ips-check).
    nftables: [{ verdict: "REJECT" }],
  },
  { name: "NodePort from outside", src: "203.0.113.5", dst: "192.168.0.2", dport: 3003, expect: [{ to: "10.180.0.3:80", masq: true }] },
  {
    name: "NodePort on localhost, from the node",
    from: "node",
    src: "127.0.0.1",
    dst: "127.0.0.1",
    dport: 3003,
    expect: [{ to: "10.180.0.3:80", masq: true }],
    // kube-proxy's nftables mode serves NodePorts on the node's addresses only, never on 127.0.0.1.
    nftables: [{ verdict: "ACCEPT", masq: false }],
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

/** traceFlow traces a flow through a backend's chains, as outcomes shaped like flowExpected's. */
export function traceFlow(chains: readonly HookChain[], f: Flow) {
  const pkt: Packet = { src: f.src, dst: f.dst, proto: "tcp", dport: f.dport };
  return tracePacket(chains, pkt, { local, from: f.from ?? "outside" }).map((o) => ({
    ...(o.dnat ? { to: o.dnat } : { verdict: o.verdict }),
    ...(o.verdict === "ACCEPT" ? { masq: o.masquerade } : {}),
    p: o.probability,
  }));
}

/** flowExpected is a flow's expected outcomes, in traceFlow's shape. */
export function flowExpected(f: Flow, backend: "iptables" | "nftables" = "iptables") {
  return ((backend === "nftables" && f.nftables) || f.expect).map((e) => ({
    ...(e.to ? { to: e.to } : { verdict: e.verdict }),
    ...(e.masq !== undefined ? { masq: e.masq } : {}),
    p: e.p ?? 1,
  }));
}
