/**
 * ClusterView is what policy needs of the cluster, read once per sync from the store's objects:
 * running pods with their addresses, labels and named ports; namespaces with their labels (with
 * the `kubernetes.io/metadata.name` label the API server sets, also for namespaces that exist only
 * through their pods); the policies, resolved.
 */
import { NAMESPACE_NAME_LABEL as NAME_LABEL } from "../model/defaults.js";
import type { Namespace, NetworkPolicy, Pod, Protocol } from "../model/types.js";
import { type Policy, resolvePolicy } from "./model.js";

/** LOG_ANNOTATION on a namespace logs the packets its policies deny (NFLOG). */
export const LOG_ANNOTATION = "podnet.io/log-denied";

/** NamedPort is a container port with a name. */
export interface NamedPort {
  name: string;
  protocol: Protocol;
  port: number;
}

/** PodInfo is a pod as policy sees it. */
export interface PodInfo {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  node: string;
  ips: string[];
  ports: NamedPort[];
}

/** NamespaceInfo is a namespace's labels and whether its denials are logged. */
export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
  logDenied: boolean;
}

/** ClusterView is the input of the policy compiler. */
export interface ClusterView {
  pods: PodInfo[];
  namespaces: Map<string, NamespaceInfo>;
  policies: Policy[];
}

const terminal = (p: Pod) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed";

/** podInfo reads a pod, or undefined when policy has nothing to enforce for it (no address yet, finished, host network). */
export function podInfo(p: Pod): PodInfo | undefined {
  const ips = p.status?.podIPs?.map((x) => x.ip) ?? (p.status?.podIP ? [p.status.podIP] : []);
  if (!ips.length || terminal(p) || p.spec.hostNetwork || !p.spec.nodeName) return undefined;
  const ports: NamedPort[] = [];
  for (const c of p.spec.containers ?? [])
    for (const cp of c.ports ?? []) if (cp.name) ports.push({ name: cp.name, protocol: cp.protocol ?? "TCP", port: cp.containerPort });
  return {
    namespace: p.metadata.namespace ?? "default",
    name: p.metadata.name,
    labels: p.metadata.labels ?? {},
    node: p.spec.nodeName,
    ips,
    ports,
  };
}

/** namespaceInfo reads a namespace; its name label is always there. */
export function namespaceInfo(name: string, ns?: Namespace): NamespaceInfo {
  return {
    name,
    labels: { ...(ns?.metadata.labels ?? {}), [NAME_LABEL]: name },
    logDenied: ns?.metadata.annotations?.[LOG_ANNOTATION] === "true",
  };
}

/** clusterView builds the view from store objects. */
export function clusterView(objs: { pods: Pod[]; namespaces: Namespace[]; policies: NetworkPolicy[] }): ClusterView {
  const pods = objs.pods.flatMap((p) => podInfo(p) ?? []);
  const namespaces = new Map(objs.namespaces.map((n) => [n.metadata.name, namespaceInfo(n.metadata.name, n)]));
  for (const p of pods) if (!namespaces.has(p.namespace)) namespaces.set(p.namespace, namespaceInfo(p.namespace));
  const policies = objs.policies.map(resolvePolicy).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { pods, namespaces, policies };
}
