/**
 * The EndpointSlice controller: for each Service with a selector, the matching pods that have an IP,
 * grouped by resolved target ports (named ports may map differently per pod), one slice per address
 * family and port mapping, at most 100 endpoints a slice. Unchanged slices are not rewritten, so their
 * resource versions stay put and the proxy resyncs only what changed.
 */
import { createHash } from "node:crypto";
import { matchesMap } from "../model/selector.js";
import type { Endpoint, EndpointSlice, Node, Pod, Protocol, Service, ServicePort } from "../model/types.js";
import type { Txn } from "../store/types.js";
import { parseIP } from "../util/ip.js";

/** SERVICE_NAME_LABEL links a slice to its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
/** MANAGED_BY_LABEL marks slices this controller owns. */
export const MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
const MANAGER = "endpointslice-controller.k8s.io";
const MAX_ENDPOINTS = 100;

type SlicePort = { name: string; port: number; protocol: Protocol };

/** resolveTargetPort finds the container port a service port targets on one pod, or undefined. */
export function resolveTargetPort(sp: ServicePort, pod: Pod): number | undefined {
  const tp = sp.targetPort ?? sp.port;
  if (typeof tp === "number") return tp;
  if (/^\d+$/.test(tp)) return Number(tp);
  for (const c of pod.spec.containers)
    for (const p of c.ports ?? []) if (p.name === tp && (p.protocol ?? "TCP") === (sp.protocol ?? "TCP")) return p.containerPort;
  return undefined;
}

function podReady(p: Pod): boolean {
  return p.status?.phase === "Running" && (p.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

function endpointFor(pod: Pod, ip: string, svc: Service, zones: Map<string, string>): Endpoint {
  const ready = podReady(pod) || svc.spec.publishNotReadyAddresses === true;
  const ep: Endpoint = {
    addresses: [ip],
    conditions: { ready, serving: podReady(pod), terminating: false },
    targetRef: {
      kind: "Pod",
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
    },
  };
  if (pod.spec.hostname && pod.spec.subdomain === svc.metadata.name) ep.hostname = pod.spec.hostname;
  if (pod.spec.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = pod.spec.nodeName ? zones.get(pod.spec.nodeName) : undefined;
  if (zone) ep.zone = zone;
  return ep;
}

/** desiredSlices computes the managed slices of one service. */
export function desiredSlices(svc: Service, pods: Pod[], nodes: Node[]): EndpointSlice[] {
  const zones = new Map(nodes.map((n) => [n.metadata.name, n.metadata.labels?.["topology.kubernetes.io/zone"] ?? ""]));
  const groups = new Map<string, { family: 4 | 6; ports: SlicePort[]; eps: Endpoint[] }>();
  const selected = pods.filter((p) => matchesMap(svc.spec.selector ?? {}, p.metadata.labels) && p.spec.nodeName);
  for (const pod of selected.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const ports = (svc.spec.ports ?? []).flatMap((sp) => {
      const port = resolveTargetPort(sp, pod);
      return port === undefined ? [] : [{ name: sp.name ?? "", port, protocol: sp.protocol ?? "TCP" }];
    });
    for (const ipEntry of pod.status?.podIPs ?? []) {
      const family = parseIP(ipEntry.ip)?.family;
      if (!family || !(svc.spec.ipFamilies ?? ["IPv4"]).includes(family === 4 ? "IPv4" : "IPv6")) continue;
      const key = `${family}|${JSON.stringify(ports)}`;
      const g = groups.get(key) ?? { family, ports, eps: [] };
      g.eps.push(endpointFor(pod, ipEntry.ip, svc, zones));
      groups.set(key, g);
    }
  }
  const slices: EndpointSlice[] = [];
  for (const [key, g] of [...groups.entries()].sort()) {
    for (let i = 0; i < g.eps.length; i += MAX_ENDPOINTS)
      slices.push(makeSlice(svc, `${key}|${i}`, g.family, g.ports, g.eps.slice(i, i + MAX_ENDPOINTS)));
  }
  if (slices.length === 0) slices.push(makeSlice(svc, "empty", 4, [], []));
  return slices;
}

function makeSlice(svc: Service, key: string, family: 4 | 6, ports: SlicePort[], eps: Endpoint[]): EndpointSlice {
  const h = createHash("sha256").update(key).digest("hex").slice(0, 5);
  const name = `${svc.metadata.name.slice(0, 57)}-${h}`;
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name,
      namespace: svc.metadata.namespace,
      labels: { [SERVICE_NAME_LABEL]: svc.metadata.name, [MANAGED_BY_LABEL]: MANAGER },
      ownerReferences: [
        {
          apiVersion: "v1",
          kind: "Service",
          name: svc.metadata.name,
          uid: svc.metadata.uid!,
          controller: true,
        },
      ],
    },
    addressType: family === 4 ? "IPv4" : "IPv6",
    endpoints: eps,
    ports,
  };
}

/** reconcileEndpointSlices writes the slices every selector service should have and removes the rest. */
export function reconcileEndpointSlices(tx: Txn): void {
  const services = tx.list<Service>("Service");
  const pods = tx.list<Pod>("Pod");
  const nodes = tx.list<Node>("Node");
  const existing = tx.list<EndpointSlice>("EndpointSlice").filter((s) => s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGER);
  const keep = new Set<string>();
  for (const svc of services) {
    if (!svc.spec.selector || svc.spec.type === "ExternalName") continue;
    const nsPods = pods.filter((p) => p.metadata.namespace === svc.metadata.namespace);
    for (const want of desiredSlices(svc, nsPods, nodes)) {
      keep.add(`${want.metadata.namespace}/${want.metadata.name}`);
      const have = existing.find((s) => s.metadata.namespace === want.metadata.namespace && s.metadata.name === want.metadata.name);
      if (have && sameContent(have, want)) continue;
      tx.put(want);
    }
  }
  for (const s of existing)
    if (!keep.has(`${s.metadata.namespace}/${s.metadata.name}`))
      tx.delete({ kind: "EndpointSlice", namespace: s.metadata.namespace, name: s.metadata.name });
}

function sameContent(a: EndpointSlice, b: EndpointSlice): boolean {
  const pick = (s: EndpointSlice) => JSON.stringify([s.addressType, s.endpoints, s.ports, s.metadata.labels, s.metadata.ownerReferences]);
  return pick(a) === pick(b);
}
