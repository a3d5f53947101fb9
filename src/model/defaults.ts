/**
 * Defaulting, as the API server does it before storing: namespaces (and the namespace name label),
 * protocols, target ports, service type and affinity timeout, replicas, NetworkPolicy policyTypes,
 * Subnet egress (natOutgoing on, distributed gateways).
 * Pure: returns a new object.
 */
import { kindInfo } from "./kinds.js";
import type { Deployment, KubeObject, NetworkPolicy, PodSpec, Service, Subnet } from "./types.js";

/** NAMESPACE_NAME_LABEL is the label the API server puts on every Namespace: its own name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** DEFAULT_AFFINITY_TIMEOUT is kube's ClientIP affinity timeout (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT = 10800;

/** applyDefaults returns a copy of obj with Kubernetes' defaults filled in. */
export function applyDefaults<T extends KubeObject>(obj: T): T {
  const o = structuredClone(obj);
  if (kindInfo(o.kind)?.namespaced) o.metadata.namespace ??= "default";
  if (o.kind === "Namespace") o.metadata.labels = { ...(o.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: o.metadata.name };
  if (o.kind === "NetworkPolicy") defaultNetworkPolicy(o as unknown as NetworkPolicy);
  if (o.kind === "Service") defaultService(o as unknown as Service);
  if (o.kind === "Pod") defaultPodSpec((o as unknown as { spec: PodSpec }).spec);
  if (o.kind === "Subnet") {
    const spec = (o as unknown as Subnet).spec;
    spec.natOutgoing ??= true;
    spec.gatewayType ??= "distributed";
    spec.default ??= false;
  }
  if (o.kind === "Deployment") {
    const d = o as unknown as Deployment;
    d.spec.replicas ??= 1;
    defaultPodSpec(d.spec.template.spec);
  }
  return o;
}

function defaultNetworkPolicy(np: NetworkPolicy): void {
  const spec = np.spec;
  spec.podSelector ??= {};
  spec.policyTypes ??= spec.egress?.length ? ["Ingress", "Egress"] : ["Ingress"];
  for (const r of [...(spec.ingress ?? []), ...(spec.egress ?? [])] as { ports?: { protocol?: string }[] }[])
    for (const p of r.ports ?? []) p.protocol ??= "TCP";
}

function defaultPodSpec(spec: PodSpec): void {
  for (const c of spec.containers) for (const p of c.ports ?? []) p.protocol ??= "TCP";
}

function defaultService(s: Service): void {
  const spec = s.spec;
  spec.type ??= "ClusterIP";
  if (spec.type === "ExternalName") return;
  spec.sessionAffinity ??= "None";
  if (spec.sessionAffinity === "ClientIP") {
    spec.sessionAffinityConfig ??= {};
    spec.sessionAffinityConfig.clientIP ??= {};
    spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= DEFAULT_AFFINITY_TIMEOUT;
  }
  if (spec.type === "NodePort" || spec.type === "LoadBalancer") spec.externalTrafficPolicy ??= "Cluster";
  spec.internalTrafficPolicy ??= "Cluster";
  for (const p of spec.ports ?? []) {
    p.protocol ??= "TCP";
    p.targetPort ??= p.port;
  }
}
