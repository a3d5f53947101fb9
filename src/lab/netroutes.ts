/**
 * The lab's service routes, computed as data and applied with `ip -batch`: on the underlay router,
 * /32 routes for LoadBalancer ingress IPs and external IPs, towards the nodes that can serve them
 * (for `externalTrafficPolicy: Local`, the nodes with local endpoints), standing in for the
 * announcement a real load balancer (or MetalLB) makes. IPv6 addresses go via the nodes' IPv6
 * addresses in a dual-stack lab.
 */
import type { EndpointSlice, Service } from "../model/types.js";
import { familyOfCidr, nodeAddress } from "../routing/types.js";
import type { LabNode } from "./topology.js";

/** SERVICE_ROUTE_PROTO marks the underlay routes the lab owns, so stale ones can be found. */
export const SERVICE_ROUTE_PROTO = 80;

/** serviceRoutes maps each service address reachable from outside to the node IPs that should receive it. */
export function serviceRoutes(services: Service[], slices: EndpointSlice[], labNodes: LabNode[]): Map<string, string[]> {
  const nodeIPs = new Set(labNodes.flatMap((n) => [n.ip, ...(n.ip6 ? [n.ip6] : [])]));
  const out = new Map<string, string[]>();
  for (const s of services) {
    const ips = [
      ...(s.spec.externalIPs ?? []),
      ...(s.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : [])),
    ].filter((ip) => !nodeIPs.has(ip));
    if (ips.length === 0) continue;
    let nodes = labNodes;
    if (s.spec.externalTrafficPolicy === "Local") {
      const hosting = new Set(
        slices
          .filter((sl) => sl.metadata.namespace === s.metadata.namespace && sl.metadata.labels?.["kubernetes.io/service-name"] === s.metadata.name)
          .flatMap((sl) => sl.endpoints.filter((e) => e.conditions?.ready !== false).map((e) => e.nodeName)),
      );
      const local = labNodes.filter((n) => hosting.has(n.name));
      if (local.length) nodes = local;
    }
    for (const ip of ips) {
      const hops = nodes.flatMap((n) => nodeAddress(n, familyOfCidr(ip)) ?? []);
      if (hops.length) out.set(ip, [...new Set([...(out.get(ip) ?? []), ...hops])].sort());
    }
  }
  return out;
}

/** serviceRoutesBatch turns the wanted routes (by IP or CIDR) and the existing ones (`ip -j route show proto 80`) into a batch. */
export function serviceRoutesBatch(want: Map<string, string[]>, existing: { dst: string }[]): string {
  const lines: string[] = [];
  const prefix = (d: string) => (d.includes("/") ? d : `${d}/${d.includes(":") ? 128 : 32}`);
  const wanted = new Set([...want.keys()].map(prefix));
  for (const [dst, hops] of [...want].sort()) {
    const via = hops.length === 1 ? ` via ${hops[0]}` : hops.map((h) => ` nexthop via ${h}`).join("");
    lines.push(`route replace ${prefix(dst)} proto ${SERVICE_ROUTE_PROTO}${via}`);
  }
  for (const r of existing) if (!wanted.has(prefix(r.dst))) lines.push(`route del ${prefix(r.dst)} proto ${SERVICE_ROUTE_PROTO}`);
  return lines.length ? `${lines.join("\n")}\n` : "";
}
