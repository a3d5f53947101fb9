/**
 * The lab's service routes, computed as data and applied as one iproute transaction: on the
 * underlay router, /32 routes for LoadBalancer ingress IPs and external IPs, towards the nodes that
 * can serve them (for `externalTrafficPolicy: Local`, the nodes with local endpoints), standing in
 * for the announcement a real load balancer (or MetalLB) makes. IPv6 addresses go via the nodes'
 * IPv6 addresses in a dual-stack lab.
 */
import { IpTransaction, type Route, withPrefix } from "../iproute/index.js";
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
    const ips = [...(s.spec.externalIPs ?? []), ...(s.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []))].filter(
      (ip) => !nodeIPs.has(ip),
    );
    if (ips.length === 0) continue;
    let nodes = labNodes;
    if (s.spec.externalTrafficPolicy === "Local") {
      const hosting = new Set(
        slices
          .filter(
            (sl) =>
              sl.metadata.namespace === s.metadata.namespace && sl.metadata.labels?.["kubernetes.io/service-name"] === s.metadata.name,
          )
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

/** planServiceRoutes turns the wanted routes (by IP or CIDR) and the existing protocol-80 ones into a transaction. */
export function planServiceRoutes(want: Map<string, string[]>, existing: Route[]): IpTransaction {
  const tx = new IpTransaction();
  const wanted = new Set([...want.keys()].map(withPrefix));
  const have = new Map(existing.map((r) => [r.dst, r]));
  const same = (a: Route, b: Route | undefined) =>
    b !== undefined && a.via === b.via && (a.nexthops ?? []).join() === (b.nexthops ?? []).join();
  for (const [dst, hops] of [...want].sort()) {
    const route: Route = { dst: withPrefix(dst), proto: SERVICE_ROUTE_PROTO };
    if (hops.length === 1) route.via = hops[0];
    else route.nexthops = hops;
    if (!same(route, have.get(route.dst))) tx.replaceRoute(route);
  }
  for (const r of existing) if (!wanted.has(r.dst)) tx.delRoute({ dst: r.dst, proto: SERVICE_ROUTE_PROTO });
  return tx;
}
