/**
 * What the web view draws, computed from the cluster store: nodes with their pod CIDRs and Subnet
 * blocks, pods on their nodes, the links the routing mode makes between nodes, and each Service's
 * fan-out — every port to its endpoints with the share of new connections each gets under the
 * Cluster policy (kube-proxy's split: ready endpoints, else serving-terminating ones) and whether it
 * is ready, serving or terminating. Pure: the same store gives the same snapshot.
 */
import type { EndpointSlice, Node, Pod, Service, Subnet } from "../model/types.js";
import { categorizeEndpoints } from "../proxy/categorize.js";
import { endpointKey, serviceEndpoints, sliceServiceName } from "../proxy/endpoints.js";
import { servicePorts } from "../proxy/serviceport.js";
import { byKind, type StoreSnapshot } from "../store/follow.js";

/** UiNode is a node: its addresses, pod CIDRs and Subnet blocks. */
export interface UiNode {
  name: string;
  ips: string[];
  podCIDRs: string[];
  blocks: string[];
}

/** UiPod is a pod: where it runs, its addresses, labels and phase. */
export interface UiPod {
  namespace: string;
  name: string;
  node?: string;
  ips: string[];
  phase: string;
  labels: Record<string, string>;
}

/** UiLink is what joins two nodes: a route, a VXLAN tunnel, an IPIP tunnel or a BGP session (with its state when known). */
export interface UiLink {
  from: string;
  to: string;
  kind: "route" | "vxlan" | "ipip" | "bgp";
  state?: string;
}

/** UiTarget is one endpoint of a service port, with its share of new connections from a pod (0 when it gets none). */
export interface UiTarget {
  ip: string;
  port: number;
  pod?: string;
  node?: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  probability: number;
}

/** UiServicePort is one port of one family of a Service and where it sends. */
export interface UiServicePort {
  name: string;
  protocol: string;
  family: 4 | 6;
  clusterIP: string;
  port: number;
  nodePort?: number;
  targets: UiTarget[];
}

/** UiService is a Service with its addresses and ports. */
export interface UiService {
  namespace: string;
  name: string;
  type: string;
  clusterIPs: string[];
  externalIPs: string[];
  loadBalancerIPs: string[];
  externalTrafficPolicy: string;
  internalTrafficPolicy: string;
  ports: UiServicePort[];
}

/** Snapshot is everything the page draws, at one store version. */
export interface Snapshot {
  version: number;
  routing: string;
  nodes: UiNode[];
  pods: UiPod[];
  links: UiLink[];
  services: UiService[];
  policies: { namespace: string; name: string }[];
  external: { name: string; ips: string[] };
}

/** SnapshotContext is what the store does not hold: the routing mode, live BGP session states, the external host. */
export interface SnapshotContext {
  routing: string;
  /** bgpState gives a session's state (`Established`…) between two nodes, when it is known. */
  bgpState?: (from: string, to: string) => string | undefined;
  external: { name: string; ips: string[] };
}

const LINK: Record<string, UiLink["kind"]> = { "host-gw": "route", vxlan: "vxlan", ipip: "ipip", bgp: "bgp" };

function links(nodes: UiNode[], ctx: SnapshotContext): UiLink[] {
  const kind = LINK[ctx.routing] ?? "route";
  const out: UiLink[] = [];
  for (const [i, a] of nodes.entries())
    for (const b of nodes.slice(i + 1)) {
      const state = kind === "bgp" ? ctx.bgpState?.(a.name, b.name) : undefined;
      out.push({ from: a.name, to: b.name, kind, ...(state ? { state } : {}) });
    }
  return out;
}

function targetsOf(svc: Service, slices: EndpointSlice[], podAt: Map<string, UiPod>): UiServicePort[] {
  const out: UiServicePort[] = [];
  for (const family of [4, 6] as const) {
    const eps = serviceEndpoints(slices, family, "");
    const nodeOf = new Map(slices.flatMap((s) => s.endpoints.flatMap((e) => e.addresses.map((a) => [a, e.nodeName] as const))));
    for (const sp of servicePorts(svc, family)) {
      const list = eps.get(endpointKey(sp.portName, sp.protocol)) ?? [];
      const cluster = new Set(categorizeEndpoints(list, { ...sp, internalPolicyLocal: false }, {}).cluster.map((e) => e.hostPort));
      const port = svc.spec.ports?.find((p) => (p.name ?? "") === sp.portName && (p.protocol ?? "TCP") === sp.protocol);
      out.push({
        name: sp.portName,
        protocol: sp.protocol,
        family,
        clusterIP: sp.clusterIP,
        port: sp.port,
        ...(port?.nodePort ? { nodePort: port.nodePort } : {}),
        targets: list.map((e) => {
          const pod = podAt.get(e.ip);
          const node = nodeOf.get(e.ip);
          return {
            ip: e.ip,
            port: e.port,
            ...(pod ? { pod: `${pod.namespace}/${pod.name}` } : {}),
            ...(node ? { node } : {}),
            ready: e.ready,
            serving: e.serving,
            terminating: e.terminating,
            probability: cluster.has(e.hostPort) ? 1 / cluster.size : 0,
          };
        }),
      });
    }
  }
  return out;
}

/** snapshotOf builds the page's snapshot from a store snapshot. */
export function snapshotOf(store: StoreSnapshot, ctx: SnapshotContext): Snapshot {
  const subnets = byKind<Subnet>(store, "Subnet");
  const nodes: UiNode[] = byKind<Node>(store, "Node")
    .map((n) => ({
      name: n.metadata.name,
      ips: (n.status?.addresses ?? []).filter((a) => a.type === "InternalIP").map((a) => a.address),
      podCIDRs: n.spec.podCIDRs ?? (n.spec.podCIDR ? [n.spec.podCIDR] : []),
      blocks: subnets.flatMap((s) =>
        ((s.status?.blocks ?? []) as { cidr: string; node: string }[]).filter((b) => b.node === n.metadata.name).map((b) => b.cidr),
      ),
    }))
    .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  const pods: UiPod[] = byKind<Pod>(store, "Pod").map((p) => ({
    namespace: p.metadata.namespace ?? "default",
    name: p.metadata.name,
    ...(p.spec.nodeName ? { node: p.spec.nodeName } : {}),
    ips: (p.status?.podIPs ?? []).map((x) => x.ip),
    phase: p.status?.phase ?? "Pending",
    labels: p.metadata.labels ?? {},
  }));
  const podAt = new Map(pods.flatMap((p) => p.ips.map((ip) => [ip, p] as const)));
  const slices = byKind<EndpointSlice>(store, "EndpointSlice");
  const services: UiService[] = byKind<Service>(store, "Service").map((s) => {
    const ns = s.metadata.namespace ?? "default";
    const mine = slices.filter((x) => (x.metadata.namespace ?? "default") === ns && sliceServiceName(x) === s.metadata.name);
    return {
      namespace: ns,
      name: s.metadata.name,
      type: s.spec.type ?? "ClusterIP",
      clusterIPs: s.spec.clusterIPs ?? (s.spec.clusterIP ? [s.spec.clusterIP] : []),
      externalIPs: s.spec.externalIPs ?? [],
      loadBalancerIPs: (s.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : [])),
      externalTrafficPolicy: s.spec.externalTrafficPolicy ?? "Cluster",
      internalTrafficPolicy: s.spec.internalTrafficPolicy ?? "Cluster",
      ports: targetsOf(s, mine, podAt),
    };
  });
  const policies = byKind(store, "NetworkPolicy").map((p) => ({ namespace: p.metadata.namespace ?? "default", name: p.metadata.name }));
  return {
    version: store.resourceVersion,
    routing: ctx.routing,
    nodes,
    pods,
    links: links(nodes, ctx),
    services,
    policies,
    external: ctx.external,
  };
}
