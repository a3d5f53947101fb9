/**
 * ClusterView is what policy needs of the cluster, read once per sync from the store's objects:
 * running pods with their addresses, labels and named ports; namespaces with their labels (with
 * the `kubernetes.io/metadata.name` label the API server sets, also for namespaces that exist only
 * through their pods); the policies, resolved; the private Subnets and the nodes' addresses.
 */
import { NAMESPACE_NAME_LABEL as NAME_LABEL } from "../model/defaults.js";
import { subnetCidrs } from "../model/subnet.js";
import type { KubeObject, Namespace, NetworkPolicy, Node, Pod, Protocol, Subnet } from "../model/types.js";
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
  /** rv is the stored object's resourceVersion: when set, it stands for everything above. */
  rv?: string;
}

/** NamespaceInfo is a namespace's labels and whether its denials are logged. */
export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
  logDenied: boolean;
}

/** PrivateSubnet is a Subnet with `private: true`: its ranges and the CIDRs it also admits. */
export interface PrivateSubnet {
  name: string;
  cidrs: string[];
  allow: string[];
}

/** ClusterView is the input of the policy compiler. */
export interface ClusterView {
  pods: PodInfo[];
  namespaces: Map<string, NamespaceInfo>;
  policies: Policy[];
  privateSubnets: PrivateSubnet[];
  /** nodeIPs are every node's addresses (a private subnet admits its nodes: probes, SNATed NodePort traffic). */
  nodeIPs: string[];
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
    ...(p.metadata.resourceVersion !== undefined ? { rv: p.metadata.resourceVersion } : {}),
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

/** ClusterObjects are the store objects the view is built from. */
export interface ClusterObjects {
  pods: Pod[];
  namespaces: Namespace[];
  policies: NetworkPolicy[];
  subnets?: Subnet[];
  nodes?: Node[];
}

/** clusterObjects gathers the kinds the view needs from any source of objects by kind (a store snapshot, manifests). */
export function clusterObjects(of: (kind: string) => KubeObject[]): ClusterObjects {
  return {
    pods: of("Pod") as Pod[],
    namespaces: of("Namespace") as Namespace[],
    policies: of("NetworkPolicy") as NetworkPolicy[],
    subnets: of("Subnet") as Subnet[],
    nodes: of("Node") as Node[],
  };
}

/** CLUSTER_KINDS are the kinds clusterObjects reads. */
export const CLUSTER_KINDS = ["Pod", "Namespace", "NetworkPolicy", "Subnet", "Node"];

/** ResolvedPolicies remembers resolved policies by `namespace/name` and resourceVersion, so an unchanged policy stays the same object (and its compiled rules are reused). */
export type ResolvedPolicies = Map<string, { rv: string; policy: Policy }>;

function resolveCached(np: NetworkPolicy, cache: ResolvedPolicies | undefined): Policy {
  const rv = np.metadata.resourceVersion;
  if (!cache || rv === undefined) return resolvePolicy(np);
  const k = `${np.metadata.namespace ?? "default"}/${np.metadata.name}`;
  const hit = cache.get(k);
  if (hit?.rv === rv) return hit.policy;
  const policy = resolvePolicy(np);
  cache.set(k, { rv, policy });
  return policy;
}

/** clusterView builds the view from store objects (cache: see ResolvedPolicies). */
export function clusterView(objs: ClusterObjects, cache?: ResolvedPolicies): ClusterView {
  const pods = objs.pods.flatMap((p) => podInfo(p) ?? []);
  const namespaces = new Map(objs.namespaces.map((n) => [n.metadata.name, namespaceInfo(n.metadata.name, n)]));
  for (const p of pods) if (!namespaces.has(p.namespace)) namespaces.set(p.namespace, namespaceInfo(p.namespace));
  if (cache && cache.size > objs.policies.length * 2 + 100) cache.clear();
  const policies = objs.policies.map((np) => resolveCached(np, cache)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const privateSubnets = (objs.subnets ?? [])
    .filter((s) => s.spec.private === true)
    .map((s) => ({ name: s.metadata.name, cidrs: subnetCidrs(s), allow: s.spec.allowSubnets ?? [] }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const nodeIPs = (objs.nodes ?? []).flatMap((n) =>
    (n.status?.addresses ?? []).filter((a) => a.type === "InternalIP").map((a) => a.address),
  );
  return { pods, namespaces, policies, privateSubnets, nodeIPs };
}
