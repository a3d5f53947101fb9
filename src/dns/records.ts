/**
 * The cluster DNS index: what the store's Services, EndpointSlices, Pods and Namespaces mean for
 * DNS, computed once per store change so that a query is a few map lookups. Headless Services
 * answer with their ready endpoints (each under its hostname, or its dashed address when it has
 * none, as CoreDNS names them); every ClusterIP and endpoint address gets its PTR names.
 */
import type { EndpointSlice, Namespace, Pod, Protocol, Service } from "../model/types.js";
import { parseIP } from "../util/ip.js";
import { dashed } from "./names.js";

/** DnsPort is a named port of a Service or an endpoint. */
export interface DnsPort {
  name: string;
  protocol: Protocol;
  port: number;
}

/** DnsEndpoint is one ready address of a Service, with the label it is known by and its ports. */
export interface DnsEndpoint {
  host: string;
  ip: string;
  ports: DnsPort[];
}

/** DnsService is one Service as DNS sees it. */
export interface DnsService {
  namespace: string;
  name: string;
  kind: "clusterIP" | "headless" | "externalName";
  clusterIPs: string[];
  externalName?: string;
  ports: DnsPort[];
  endpoints: DnsEndpoint[];
}

/** DnsIndex is the cluster's DNS data. */
export interface DnsIndex {
  zone: string;
  serial: number;
  services: Map<string, DnsService>;
  namespaces: Set<string>;
  /** podIPs maps a running pod's address to its namespaces (for `pods verified` and pod PTRs). */
  podIPs: Map<string, string[]>;
  /** ptr maps an address to the names it has (ClusterIPs, then endpoints). */
  ptr: Map<string, string[]>;
}

const key = (ns: string, name: string) => `${ns}/${name}`;

function kindOf(s: Service): DnsService["kind"] {
  if (s.spec.type === "ExternalName") return "externalName";
  return s.spec.clusterIP === "None" ? "headless" : "clusterIP";
}

function addTo<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (!l) m.set(k, [v]);
  else if (!l.includes(v)) l.push(v);
}

/** readyEndpoints merges a Service's slices into its ready addresses, each once, with all their ports. */
function readyEndpoints(slices: EndpointSlice[]): DnsEndpoint[] {
  const byIP = new Map<string, DnsEndpoint>();
  for (const sl of slices) {
    if (sl.addressType === "FQDN") continue;
    const ports = (sl.ports ?? []).flatMap((p) => (p.port ? [{ name: p.name ?? "", protocol: p.protocol ?? "TCP", port: p.port }] : []));
    for (const ep of sl.endpoints) {
      if (ep.conditions?.ready === false) continue;
      for (const ip of ep.addresses) {
        const have = byIP.get(ip);
        if (have) have.ports.push(...ports.filter((p) => !have.ports.some((q) => q.name === p.name && q.protocol === p.protocol)));
        else byIP.set(ip, { host: (ep.hostname ?? dashed(ip)).toLowerCase(), ip, ports: [...ports] });
      }
    }
  }
  const num = (ip: string) => parseIP(ip)?.value ?? 0n;
  return [...byIP.values()].sort((a, b) => (num(a.ip) < num(b.ip) ? -1 : num(a.ip) > num(b.ip) ? 1 : 0));
}

/** buildIndex computes the DNS index of a store snapshot. */
export function buildIndex(
  zone: string,
  serial: number,
  objs: { services: Service[]; slices: EndpointSlice[]; pods: Pod[]; namespaces: Namespace[] },
): DnsIndex {
  const slicesOf = new Map<string, EndpointSlice[]>();
  for (const sl of objs.slices) {
    const svc = sl.metadata.labels?.["kubernetes.io/service-name"];
    if (svc) addTo(slicesOf, key(sl.metadata.namespace ?? "default", svc), sl);
  }
  const services = new Map<string, DnsService>();
  const ptr = new Map<string, string[]>();
  const endpointNames = new Map<string, string[]>();
  for (const s of objs.services) {
    const ns = s.metadata.namespace ?? "default";
    const kind = kindOf(s);
    const d: DnsService = {
      namespace: ns,
      name: s.metadata.name,
      kind,
      clusterIPs: kind === "clusterIP" ? (s.spec.clusterIPs ?? (s.spec.clusterIP ? [s.spec.clusterIP] : [])) : [],
      ...(kind === "externalName" && s.spec.externalName ? { externalName: s.spec.externalName.replace(/\.$/, "").toLowerCase() } : {}),
      ports: (s.spec.ports ?? []).map((p) => ({ name: p.name ?? "", protocol: p.protocol ?? "TCP", port: p.port })),
      endpoints: kind === "externalName" ? [] : readyEndpoints(slicesOf.get(key(ns, s.metadata.name)) ?? []),
    };
    services.set(key(ns, d.name), d);
    const fqdn = `${d.name}.${ns}.svc.${zone}`;
    for (const ip of d.clusterIPs) addTo(ptr, ip, fqdn);
    for (const ep of d.endpoints) addTo(endpointNames, ep.ip, `${ep.host}.${fqdn}`);
  }
  for (const [ip, names] of endpointNames) for (const n of names.sort()) addTo(ptr, ip, n);
  const podIPs = new Map<string, string[]>();
  for (const p of objs.pods) {
    if (p.spec.hostNetwork || p.status?.phase !== "Running") continue;
    for (const { ip } of p.status.podIPs ?? []) {
      addTo(podIPs, ip, p.metadata.namespace ?? "default");
      if (!ptr.has(ip)) ptr.set(ip, [`${dashed(ip)}.${p.metadata.namespace ?? "default"}.pod.${zone}`]);
    }
  }
  return { zone, serial, services, namespaces: new Set(objs.namespaces.map((n) => n.metadata.name)), podIPs, ptr };
}

/** serviceOf finds a Service of the index by namespace and name. */
export const serviceOf = (ix: DnsIndex, ns: string, name: string) => ix.services.get(key(ns, name));
