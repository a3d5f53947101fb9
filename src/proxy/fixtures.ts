/** Test fixtures shared by the proxy's unit tests and benchmarks: Services and EndpointSlices in a few lines. */
import type { EndpointSlice, Service, ServiceSpec } from "../model/types.js";
import type { DaemonOptions } from "./daemon.js";
import { ServiceTracker } from "./tracker.js";
import { DEFAULT_PROXY_CONFIG, type ProxyConfig } from "./types.js";

/** testConfig is a node's settings for tests (kube-proxy's test node, cluster CIDR 10.0.0.0/8). */
export const testConfig: ProxyConfig = {
  ...DEFAULT_PROXY_CONFIG,
  nodeName: "test-node",
  nodeIPs: ["192.168.0.2"],
  clusterCIDRs: ["10.0.0.0/8"],
};

/**
 * simDaemonOptions run a proxy daemon on a simulated node (an in-memory kernel, a recording
 * executor): IPv4, iptables (legacy), kube-proxy's periods, nothing served, and no localhost
 * NodePorts (their sysctl would be the machine's).
 */
export function simDaemonOptions(cfg: Omit<ProxyConfig, "localhostNodePorts">): Omit<DaemonOptions, "storeFile" | "follower" | "log"> {
  return {
    cfg: { ...cfg, localhostNodePorts: false },
    families: [4],
    mode: "iptables",
    serviceCIDRs: [],
    nodePortAddresses: [],
    iptables: "legacy",
    syncPeriodMs: 30_000,
    fullSyncPeriodMs: 3_600_000,
  };
}

/** makeService builds a Service with one TCP port p80 (override anything through spec). */
export function makeService(ns: string, name: string, spec: Partial<ServiceSpec>, lbIPs: string[] = []): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace: ns, name },
    spec: { ports: [{ name: "p80", port: 80, protocol: "TCP" }], ...spec },
    ...(lbIPs.length ? { status: { loadBalancer: { ingress: lbIPs.map((ip) => ({ ip })) } } } : {}),
  };
}

/** EpSpec is a short endpoint description: IP, node and conditions. */
export interface EpSpec {
  ip: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  zones?: string[];
}

/** makeSlice builds an IPv4 EndpointSlice of a service's p80 (TCP unless protocol says otherwise). */
export function makeSlice(ns: string, svc: string, eps: EpSpec[], port = 80, protocol: "TCP" | "UDP" = "TCP"): EndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { namespace: ns, name: `${svc}-1`, labels: { "kubernetes.io/service-name": svc } },
    addressType: "IPv4",
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      ...(e.node ? { nodeName: e.node } : {}),
      conditions: {
        ready: e.ready ?? true,
        ...(e.serving === undefined ? {} : { serving: e.serving }),
        ...(e.terminating === undefined ? {} : { terminating: e.terminating }),
      },
      ...(e.zones ? { hints: { forZones: e.zones.map((name) => ({ name })) } } : {}),
    })),
    ports: [{ name: "p80", port, protocol }],
  };
}

/** overall is the scenario of kube-proxy's overall-rules test: ClusterIP, LB+Local, NodePort, externalIP, LB+ranges+affinity, no endpoints. */
export function overall(): ServiceTracker {
  const t = new ServiceTracker();
  const np = (n: number) => [{ name: "p80", port: 80, protocol: "TCP" as const, nodePort: n }];
  t.replaceAll(
    [
      makeService("ns1", "svc1", { clusterIP: "172.30.0.41" }),
      makeService(
        "ns2",
        "svc2",
        {
          type: "LoadBalancer",
          externalTrafficPolicy: "Local",
          clusterIP: "172.30.0.42",
          ports: np(3001),
          externalIPs: ["192.168.99.22"],
          healthCheckNodePort: 30000,
        },
        ["1.2.3.4"],
      ),
      makeService("ns3", "svc3", { type: "NodePort", clusterIP: "172.30.0.43", ports: np(3003) }),
      makeService("ns4", "svc4", { type: "NodePort", clusterIP: "172.30.0.44", externalIPs: ["192.168.99.33"] }),
      makeService(
        "ns5",
        "svc5",
        {
          type: "LoadBalancer",
          clusterIP: "172.30.0.45",
          ports: np(3002),
          healthCheckNodePort: 30000,
          loadBalancerSourceRanges: [" 203.0.113.0/25"],
          sessionAffinity: "ClientIP",
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
        },
        ["5.6.7.8"],
      ),
      makeService("ns6", "svc6", { clusterIP: "172.30.0.46" }),
    ],
    [
      makeSlice("ns1", "svc1", [{ ip: "10.180.0.1" }]),
      makeSlice("ns2", "svc2", [{ ip: "10.180.0.2" }]),
      makeSlice("ns3", "svc3", [{ ip: "10.180.0.3" }]),
      makeSlice("ns4", "svc4", [{ ip: "10.180.0.4" }, { ip: "10.180.0.5", node: "test-node" }]),
      makeSlice("ns5", "svc5", [{ ip: "10.180.0.3" }]),
    ],
  );
  return t;
}

/** edge is what the overall scenario leaves out: terminating fallback, internalTrafficPolicy Local, SCTP, topology hints. */
export function edge(): ServiceTracker {
  const t = new ServiceTracker();
  const sctp = [{ name: "p80", port: 80, protocol: "SCTP" as const }];
  t.replaceAll(
    [
      makeService("ns1", "terminating", {
        clusterIP: "172.30.1.1",
        type: "NodePort",
        externalTrafficPolicy: "Local",
        ports: [{ name: "p80", port: 80, protocol: "TCP", nodePort: 3101 }],
        healthCheckNodePort: 30001,
      }),
      makeService("ns2", "internal-local", { clusterIP: "172.30.1.2", internalTrafficPolicy: "Local" }),
      makeService("ns3", "sctp", { clusterIP: "172.30.1.3", ports: sctp }),
      makeService("ns4", "zoned", { clusterIP: "172.30.1.4", trafficDistribution: "PreferClose" }),
    ],
    [
      // No endpoint is ready; the local one is still serving while it terminates, so Local traffic goes there.
      makeSlice("ns1", "terminating", [
        { ip: "10.180.1.1", node: "test-node", ready: false, serving: true, terminating: true },
        { ip: "10.180.1.2", node: "other", ready: false, serving: false, terminating: true },
      ]),
      makeSlice("ns2", "internal-local", [
        { ip: "10.180.2.1", node: "test-node" },
        { ip: "10.180.2.2", node: "other" },
      ]),
      { ...makeSlice("ns3", "sctp", [{ ip: "10.180.3.1" }]), ports: [{ name: "p80", port: 80, protocol: "SCTP" }] },
      makeSlice("ns4", "zoned", [
        { ip: "10.180.4.1", zones: ["zone-a"] },
        { ip: "10.180.4.2", zones: ["zone-b"] },
      ]),
    ],
  );
  return t;
}
