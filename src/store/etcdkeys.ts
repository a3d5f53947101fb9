/**
 * podnet's key layout in etcd: `/podnet/v1/<group>/<kind>/<namespace>/<name>`, `_` standing for
 * the namespace of cluster-scoped objects (a namespace is a DNS label, so never `_`). The group is
 * the kind's API group, `core` for the v1 kinds.
 */
import type { ObjectKey } from "./types.js";

/** PREFIX is the root of podnet's keys. */
export const PREFIX = "/podnet/v1/";

const GROUPS: Record<string, string> = {
  Deployment: "apps",
  EndpointSlice: "discovery.k8s.io",
  NetworkPolicy: "networking.k8s.io",
  Lease: "coordination.k8s.io",
  Subnet: "podnet.io",
  ClusterInformation: "podnet.io",
};

/** groupOf is a kind's API group. */
export function groupOf(kind: string): string {
  return GROUPS[kind] ?? "core";
}

/** apiGroupOf is the group an apiVersion names (`apps/v1` → apps, `v1` → core). */
export function apiGroupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "core" : apiVersion.slice(0, slash);
}

/** kindPrefix is the prefix of every key of a kind (of one namespace when given). */
export function kindPrefix(kind: string, namespace?: string): string {
  return `${PREFIX}${groupOf(kind)}/${kind}/${namespace === undefined ? "" : `${namespace || "_"}/`}`;
}

/** etcdKey is an object's key. */
export function etcdKey(k: ObjectKey): string {
  return `${kindPrefix(k.kind, k.namespace ?? "")}${k.name}`;
}

/** parseEtcdKey reads a key back, or undefined when it is not one of podnet's object keys. */
export function parseEtcdKey(key: string): ObjectKey | undefined {
  if (!key.startsWith(PREFIX)) return undefined;
  const parts = key.slice(PREFIX.length).split("/");
  if (parts.length !== 4) return undefined;
  const [group, kind, ns, name] = parts as [string, string, string, string];
  if (groupOf(kind) !== group || !name) return undefined;
  return ns === "_" ? { kind, name } : { kind, namespace: ns, name };
}
