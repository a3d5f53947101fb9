/**
 * The routing agent's vocabulary: how pods on different nodes reach each other (flannel's host-gw
 * and vxlan, Calico's BGP and IPIP), as seen from one node. Backends turn the same inputs — this
 * node and its peers — into kernel state, so they can share one behavioural test suite.
 */
import type { Family } from "../util/ip.js";

/** RoutingMode names a cross-node backend. */
export type RoutingMode = "host-gw" | "vxlan" | "bgp" | "ipip";

/** ROUTING_MODES lists the backends; ipip is rendered only (this kernel has no IPIP). */
export const ROUTING_MODES: readonly RoutingMode[] = ["host-gw", "vxlan", "bgp", "ipip"];

/** RouteNode is one node as routing needs it: its underlay address and the pod blocks it hosts. */
export interface RouteNode {
  name: string;
  /** ip is the underlay (InternalIP) address peers send to. */
  ip: string;
  /** ip6 is the node's IPv6 InternalIP on a dual-stack underlay; IPv6 blocks are routed via it. */
  ip6?: string;
  /** blocks are the pod CIDRs routed to this node (its pod CIDRs, later also Subnet blocks). */
  blocks: string[];
  /** vtepMac is the MAC of the node's VXLAN device, as the node published it. */
  vtepMac?: string;
}

/** RoutingSettings are the cluster-wide choices every node's agent shares. */
export interface RoutingSettings {
  mode: RoutingMode;
  /** underlayDev is the interface that holds the node IP (the VXLAN device's underlay). */
  underlayDev: string;
  underlayMtu: number;
  /** vni and port are the VXLAN network identifier and UDP port (flannel: 1 and 8472). */
  vni: number;
  port: number;
  /** asn is the cluster's iBGP AS number (Calico's default 64512). */
  asn: number;
  /** routeReflectors are the node names that reflect routes; empty means a full mesh. */
  routeReflectors: string[];
}

/** DEFAULT_ROUTING is host-gw on a 1500-byte underlay with flannel's and Calico's numbers. */
export const DEFAULT_ROUTING: RoutingSettings = {
  mode: "host-gw",
  underlayDev: "eth0",
  underlayMtu: 1500,
  vni: 1,
  port: 8472,
  asn: 64512,
  routeReflectors: [],
};

/** OVERHEAD is the encapsulation cost per mode (outer IPv4 + UDP + VXLAN + inner Ethernet = 50). */
const OVERHEAD: Record<RoutingMode, number> = { "host-gw": 0, bgp: 0, vxlan: 50, ipip: 20 };

/** podMtu is the MTU pod interfaces get so encapsulated packets still fit the underlay. */
export function podMtu(s: Pick<RoutingSettings, "mode" | "underlayMtu">): number {
  return s.underlayMtu - OVERHEAD[s.mode];
}

/** ROUTE_PROTO tags the pod routes podnet installs (host-gw, vxlan), so stale ones can be found. */
export const ROUTE_PROTO = 81;

/** familyOfCidr says whether a CIDR is IPv4 or IPv6. */
export function familyOfCidr(cidr: string): Family {
  return cidr.includes(":") ? 6 : 4;
}

/** nodeAddress is a node's underlay address of a family, which its blocks of that family are routed via (undefined: it has none). */
export function nodeAddress(n: Pick<RouteNode, "ip" | "ip6">, family: Family): string | undefined {
  return family === 4 ? (familyOfCidr(n.ip) === 4 ? n.ip : undefined) : (n.ip6 ?? (familyOfCidr(n.ip) === 6 ? n.ip : undefined));
}

/** blockFamilies are the families of a node's blocks, in order, without repeats. */
export function blockFamilies(n: RouteNode): Family[] {
  return [...new Set(n.blocks.map(familyOfCidr))];
}

/** RoutingError is a routing operation that failed: `failed to <verb> <thing> "<name>": <cause>`. */
export class RoutingError extends Error {
  constructor(msg: string, options?: { cause?: unknown }) {
    super(msg, options);
    this.name = "RoutingError";
  }
}
