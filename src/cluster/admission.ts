/**
 * What the API server does with an applied object before it is stored: defaulting, namespace
 * existence, immutable fields, ClusterIP/NodePort allocation. One object at a time; a refusal throws
 * AdmissionError and leaves the transaction untouched.
 */
import { applyDefaults } from "../model/defaults.js";
import { kindInfo } from "../model/kinds.js";
import type { KubeObject, Pod, Service, Subnet } from "../model/types.js";
import { objectRef } from "../model/validate/index.js";
import type { Txn } from "../store/types.js";
import { cidrOverlaps, parseCIDR, parseIP } from "../util/ip.js";
import { allocateClusterIP, allocateNodePort, checkClusterIP, usedClusterIPs, usedNodePorts } from "./allocators.js";
import type { ClusterConfig } from "./config.js";
import { AdmissionError } from "./errors.js";
import { subnetCidrs } from "../model/subnet.js";

/** AdmitAction says what applying an object did. */
export type AdmitAction = "created" | "configured" | "unchanged";

/** admitWithAction prepares an applied object for storage (create or update), stores it unless nothing changed, and says which it was. */
export function admitWithAction(tx: Txn, input: KubeObject, cfg: ClusterConfig): { object: KubeObject; action: AdmitAction } {
  const obj = applyDefaults(input);
  const ref = objectRef(obj);
  const ns = obj.metadata.namespace;
  if (kindInfo(obj.kind)?.namespaced && ns !== undefined && !tx.get({ kind: "Namespace", name: ns }))
    throw new AdmissionError(ref, "metadata.namespace", `Not found: namespace "${ns}" does not exist`);
  const old = tx.get({ kind: obj.kind, namespace: ns, name: obj.metadata.name });
  // Status belongs to the cluster, not to the manifest: keep what the controllers wrote.
  if (old?.status !== undefined) obj.status = old.status;
  else delete obj.status;
  delete obj.metadata.resourceVersion;
  if (old) obj.metadata.uid = old.metadata.uid;
  if (obj.kind === "Service") admitService(tx, obj as Service, old as Service | undefined, cfg);
  if (obj.kind === "Pod" && old) checkPodUpdate(obj as Pod, old as Pod);
  if (obj.kind === "Subnet") admitSubnet(tx, obj as Subnet, old as Subnet | undefined, cfg);
  if (old && sameContent(old, obj)) return { object: old, action: "unchanged" };
  return { object: tx.put(obj), action: old ? "configured" : "created" };
}

/** admit is admitWithAction returning only the stored object. */
export function admit(tx: Txn, input: KubeObject, cfg: ClusterConfig): KubeObject {
  return admitWithAction(tx, input, cfg).object;
}

/** admitSubnet refuses ranges that overlap the cluster's pod or service ranges or another Subnet. */
function admitSubnet(tx: Txn, s: Subnet, old: Subnet | undefined, cfg: ClusterConfig): void {
  const ref = objectRef(s);
  if (old && old.spec.cidrBlock !== s.spec.cidrBlock && (old.status?.blocks ?? []).length > 0)
    throw new AdmissionError(ref, "spec.cidrBlock", "Forbidden: cannot change the range of a subnet whose blocks are in use");
  const others: [string, string][] = [
    ...cfg.clusterCIDRs.map((c): [string, string] => [c, "the cluster's pod CIDR"]),
    ...cfg.serviceCIDRs.map((c): [string, string] => [c, "the service CIDR"]),
    ...tx
      .list<Subnet>("Subnet")
      .filter((o) => o.metadata.name !== s.metadata.name)
      .flatMap((o) => subnetCidrs(o).map((c): [string, string] => [c, `Subnet "${o.metadata.name}"`])),
  ];
  for (const mine of subnetCidrs(s))
    for (const [c, what] of others)
      if (cidrOverlaps(parseCIDR(mine)!, parseCIDR(c)!))
        throw new AdmissionError(ref, "spec.cidrBlock", `Invalid value: "${mine}": overlaps ${what} ${c}`);
}

function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) =>
    JSON.stringify({
      ...o,
      status: undefined,
      metadata: { ...o.metadata, resourceVersion: undefined, creationTimestamp: undefined },
    });
  return strip(a) === strip(b);
}

function checkPodUpdate(pod: Pod, old: Pod): void {
  const strip = (p: Pod) => JSON.stringify({ ...p.spec, nodeName: undefined });
  if (strip(pod) !== strip(old))
    throw new AdmissionError(objectRef(pod), "spec", "Forbidden: pod updates may not change fields other than labels and annotations");
  if (pod.spec.nodeName !== undefined && old.spec.nodeName !== undefined && pod.spec.nodeName !== old.spec.nodeName)
    throw new AdmissionError(objectRef(pod), "spec.nodeName", "Forbidden: field is immutable");
  pod.spec.nodeName ??= old.spec.nodeName;
}

function admitService(tx: Txn, svc: Service, old: Service | undefined, cfg: ClusterConfig): void {
  const ref = objectRef(svc);
  const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
  const others = tx.list<Service>("Service");
  const spec = svc.spec;
  if (spec.type === "ExternalName") {
    delete spec.clusterIP;
    delete spec.clusterIPs;
    return;
  }
  assignClusterIPs(svc, old, cfg, usedClusterIPs(others, key), ref);
  const usedPorts = usedNodePorts(others, key);
  const wantsNodePorts = spec.type === "NodePort" || spec.type === "LoadBalancer";
  for (const [i, p] of (spec.ports ?? []).entries()) {
    if (!wantsNodePorts) {
      delete p.nodePort;
      continue;
    }
    const prev = old?.spec.ports?.find((o) => o.name === p.name && (o.protocol ?? "TCP") === p.protocol)?.nodePort;
    const proto = p.protocol ?? "TCP";
    if (p.nodePort) {
      const { min, max } = cfg.nodePortRange;
      if (p.nodePort < min || p.nodePort > max)
        throw new AdmissionError(
          ref,
          `spec.ports[${i}].nodePort`,
          `Invalid value: ${p.nodePort}: provided port is not in the valid range. The range of valid ports is ${min}-${max}`,
        );
      if (usedPorts.has(`${p.nodePort}/${proto}`))
        throw new AdmissionError(ref, `spec.ports[${i}].nodePort`, `Invalid value: ${p.nodePort}: provided port is already allocated`);
    } else {
      p.nodePort = prev ?? allocateNodePort(cfg, proto, usedPorts);
      if (p.nodePort === undefined) throw new AdmissionError(ref, `spec.ports[${i}].nodePort`, "Internal error: range is full");
    }
    usedPorts.add(`${p.nodePort}/${proto}`);
  }
  const needsHealth = spec.type === "LoadBalancer" && spec.externalTrafficPolicy === "Local";
  if (!needsHealth) delete spec.healthCheckNodePort;
  else if (!spec.healthCheckNodePort) {
    spec.healthCheckNodePort = old?.spec.healthCheckNodePort ?? allocateNodePort(cfg, "TCP", usedPorts);
  } else if (usedPorts.has(`${spec.healthCheckNodePort}/TCP`))
    throw new AdmissionError(
      ref,
      "spec.healthCheckNodePort",
      `Invalid value: ${spec.healthCheckNodePort}: provided port is already allocated`,
    );
}

function assignClusterIPs(svc: Service, old: Service | undefined, cfg: ClusterConfig, used: Set<string>, ref: string): void {
  const spec = svc.spec;
  const requested = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
  const oldIPs = old?.spec.clusterIPs ?? [];
  if (old && requested.length > 0 && requested[0] !== oldIPs[0])
    throw new AdmissionError(ref, "spec.clusterIPs[0]", "Invalid value: may not change once set (field is immutable)");
  if (requested[0] === "None") {
    spec.clusterIP = "None";
    spec.clusterIPs = ["None"];
    return;
  }
  const families = wantedFamilies(svc, cfg, requested);
  const ips: string[] = [];
  for (const [i, fam] of families.entries()) {
    const want = requested[i] ?? oldIPs.find((ip) => parseIP(ip)?.family === fam);
    if (want) {
      const why = old && oldIPs.includes(want) ? undefined : checkClusterIP(cfg, want, used);
      if (why) throw new AdmissionError(ref, i === 0 ? "spec.clusterIP" : `spec.clusterIPs[${i}]`, why);
      ips.push(want);
    } else {
      const ip = allocateClusterIP(cfg, fam, used);
      if (!ip) throw new AdmissionError(ref, "spec.clusterIP", `Internal error: the IPv${fam} service range is full`);
      ips.push(ip);
    }
    used.add(ips[ips.length - 1] as string);
  }
  spec.clusterIP = ips[0];
  spec.clusterIPs = ips;
  spec.ipFamilies = families.map((f) => (f === 4 ? "IPv4" : "IPv6"));
  spec.ipFamilyPolicy ??= "SingleStack";
}

function wantedFamilies(svc: Service, cfg: ClusterConfig, requested: string[]): (4 | 6)[] {
  const configured = cfg.serviceCIDRs.map((c) => (c.includes(":") ? 6 : 4) as 4 | 6);
  const fromSpec = (svc.spec.ipFamilies ?? []).map((f) => (f === "IPv6" ? 6 : 4) as 4 | 6);
  const fromIPs = requested.map((ip) => parseIP(ip)?.family ?? 4);
  const primary = fromIPs[0] ?? fromSpec[0] ?? configured[0] ?? 4;
  const policy = svc.spec.ipFamilyPolicy ?? "SingleStack";
  if (policy === "SingleStack") return [primary];
  const rest = configured.filter((f) => f !== primary);
  if (policy === "RequireDualStack" && rest.length === 0)
    throw new AdmissionError(
      objectRef(svc),
      "spec.ipFamilyPolicy",
      "Invalid value: RequireDualStack: the cluster is not configured for dual-stack",
    );
  return [primary, ...rest.slice(0, 1)];
}
