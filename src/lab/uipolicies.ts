/**
 * The web view's policy panel for one pod: the NetworkPolicies that select it (for ingress and for
 * egress) and, for each of its ports, which other pods may open a connection to it and by which
 * policies — NetworkPolicy's semantics from src/policy/verdict.ts over the store's objects.
 */
import type { Namespace, NetworkPolicy, Pod, Protocol } from "../model/types.js";
import { resolvePolicy } from "../policy/model.js";
import { allowedBetween, selecting, type VPod } from "../policy/verdict.js";
import { byKind, type StoreSnapshot } from "../store/follow.js";

/** PodPolicies is what the panel shows. */
export interface PodPolicies {
  pod: string;
  ingress: string[];
  egress: string[];
  /** reach lists, for each port of the pod, each other pod with an IPv4 address and whether it may connect. */
  reach: { port: string; from: { pod: string; ok: boolean; by: string[] }[] }[];
}

function vpod(p: Pod): VPod | undefined {
  const ip = p.status?.podIPs?.find((x) => !x.ip.includes(":"))?.ip ?? p.status?.podIP;
  if (!ip) return undefined;
  return {
    namespace: p.metadata.namespace ?? "default",
    name: p.metadata.name,
    labels: p.metadata.labels ?? {},
    ip,
    ports: p.spec.containers.flatMap((c) =>
      (c.ports ?? []).map((x) => ({
        ...(x.name ? { name: x.name } : {}),
        port: x.containerPort,
        protocol: (x.protocol ?? "TCP") as Protocol,
      })),
    ),
  };
}

/** podPolicies computes the panel for pod namespace/name. */
export function podPolicies(store: StoreSnapshot, namespace: string, name: string): PodPolicies {
  const pods = byKind<Pod>(store, "Pod").flatMap((p) => vpod(p) ?? []);
  const me = pods.find((p) => p.namespace === namespace && p.name === name);
  if (!me) throw new Error(`no running pod "${namespace}/${name}"`);
  const policies = byKind<NetworkPolicy>(store, "NetworkPolicy").map(resolvePolicy);
  const labels = new Map(byKind<Namespace>(store, "Namespace").map((n) => [n.metadata.name, n.metadata.labels ?? {}]));
  const nsLabels = (ns: string) => ({ "kubernetes.io/metadata.name": ns, ...(labels.get(ns) ?? {}) });
  const ports = me.ports.length ? me.ports : [{ port: 80, protocol: "TCP" as Protocol }];
  return {
    pod: `${namespace}/${name}`,
    ingress: selecting(policies, me, "ingress").map((p) => p.key),
    egress: selecting(policies, me, "egress").map((p) => p.key),
    reach: ports.map((port) => ({
      port: `${port.port}/${port.protocol}`,
      from: pods
        .filter((p) => p !== me)
        .map((p) => {
          const v = allowedBetween(policies, p, me, port.port, port.protocol, nsLabels);
          return { pod: `${p.namespace}/${p.name}`, ok: v.ok, by: [v.egress, v.ingress].flatMap((x) => x ?? []) };
        }),
    })),
  };
}
