/**
 * From EndpointSlices to the endpoints of each service port, as kube-proxy's EndpointSliceCache
 * builds them: slices of the proxier's address family only, conditions defaulted the API's way
 * (ready unless false; serving follows ready when unset), duplicates across slices merged, and the
 * list sorted by `ip:port` so that renders are stable.
 */
import type { EndpointSlice } from "../model/types.js";
import { none } from "../util/none.js";
import type { EndpointInfo, Family, Protocol } from "./types.js";

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/** sliceServiceName returns the Service a slice belongs to, or undefined for a slice without the label. */
export function sliceServiceName(slice: EndpointSlice): string | undefined {
  return slice.metadata.labels?.[SERVICE_NAME_LABEL];
}

/** hostPort formats an endpoint the way Go's net.JoinHostPort does. */
export function hostPort(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** endpointKey identifies a service port's endpoint list: `portName/PROTO`. */
export function endpointKey(portName: string, protocol: Protocol): string {
  return `${portName}/${protocol}`;
}

/** serviceEndpoints groups a service's slices into endpoint lists keyed by endpointKey. */
export function serviceEndpoints(slices: Iterable<EndpointSlice>, family: Family, nodeName: string): Map<string, EndpointInfo[]> {
  const want = family === 4 ? "IPv4" : "IPv6";
  const out = new Map<string, EndpointInfo[]>();
  for (const slice of slices) {
    if (slice.addressType !== want) continue;
    for (const p of slice.ports ?? []) {
      if (p.port === undefined) continue;
      const key = endpointKey(p.name ?? "", (p.protocol ?? "TCP") as Protocol);
      let eps = out.get(key);
      if (!eps) out.set(key, (eps = []));
      for (const ep of slice.endpoints ?? []) {
        const ip = ep.addresses[0];
        if (!ip) continue;
        const ready = ep.conditions?.ready !== false;
        eps.push({
          ip,
          port: p.port,
          hostPort: hostPort(ip, p.port),
          ready,
          serving: ep.conditions?.serving ?? ready,
          terminating: ep.conditions?.terminating ?? false,
          local: ep.nodeName === nodeName,
          zoneHints: ep.hints?.forZones?.length ? ep.hints.forZones.map((z) => z.name) : none<string>(),
        });
      }
    }
  }
  for (const [k, eps] of out) out.set(k, sortedUnique(eps));
  return out;
}

const byHostPort = (a: EndpointInfo, b: EndpointInfo) => (a.hostPort < b.hostPort ? -1 : a.hostPort > b.hostPort ? 1 : 0);

/**
 * sortedUnique sorts endpoints by `ip:port` (only when they are not in order already) and merges
 * duplicates across slices, keeping the first seen unless a later one is ready and it is not.
 */
function sortedUnique(eps: EndpointInfo[]): EndpointInfo[] {
  let inOrder = true;
  for (let i = 1; i < eps.length && inOrder; i++) inOrder = byHostPort(eps[i - 1] as EndpointInfo, eps[i] as EndpointInfo) < 0;
  if (inOrder) return eps;
  const sorted = eps.sort(byHostPort); // stable: duplicates keep the order they were seen in
  const out: EndpointInfo[] = [];
  for (const ep of sorted) {
    const last = out[out.length - 1];
    if (last?.hostPort !== ep.hostPort) out.push(ep);
    else if (!last.ready && ep.ready) out[out.length - 1] = ep;
  }
  return out;
}
