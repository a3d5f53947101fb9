/**
 * Host ports as kube-scheduler's NodePorts filter sees them: a pod's hostPort/protocol/hostIP
 * triples, and whether they collide with those of pods already on a node (same protocol and port,
 * and the same host IP or either one the wildcard). The scheduler keeps a pod off such nodes; the
 * lab's kubelet refuses one bound to such a node by hand, as kubelet's admission does.
 */
import type { Pod } from "../model/types.js";

/** HostPort is one port a pod binds on its node. */
export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

const WILDCARD = new Set(["", "0.0.0.0", "::"]);

/** hostPorts lists the host ports a pod asks for. */
export function hostPorts(p: Pod): HostPort[] {
  return p.spec.containers.flatMap((c) =>
    (c.ports ?? []).flatMap((cp) =>
      cp.hostPort ? [{ ip: cp.hostIP ?? "0.0.0.0", protocol: cp.protocol ?? "TCP", port: cp.hostPort }] : [],
    ),
  );
}

/** collides says whether two host ports cannot both be bound on one node. */
export function collides(a: HostPort, b: HostPort): boolean {
  return a.port === b.port && a.protocol === b.protocol && (a.ip === b.ip || WILDCARD.has(a.ip) || WILDCARD.has(b.ip));
}

/** portsFree says whether a pod's host ports are free among the ports already used on a node. */
export function portsFree(p: Pod, used: HostPort[]): boolean {
  return hostPorts(p).every((w) => !used.some((u) => collides(w, u)));
}

/** NODE_PORTS_REASON is kube-scheduler's wording for nodes filtered out by NodePorts. */
export const NODE_PORTS_REASON = "node(s) didn't have free ports for the requested pod ports";

/** NODE_PORTS_REJECTED is kubelet's status message for a pod its admission refused for its host ports. */
export const NODE_PORTS_REJECTED = `Pod was rejected: Predicate NodePorts failed: ${NODE_PORTS_REASON}`;

/**
 * admitHostPorts is kubelet's admission by host ports for the pods bound to one node: running pods
 * first, then the others oldest first; a pod whose host ports collide with an admitted one is refused.
 */
export function admitHostPorts(pods: Pod[], running: ReadonlySet<string>): { admitted: Pod[]; rejected: Pod[] } {
  const order = [...pods].sort(
    (a, b) =>
      Number(running.has(b.metadata.uid ?? "")) - Number(running.has(a.metadata.uid ?? "")) ||
      (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "") ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
  const used: HostPort[] = [];
  const out = { admitted: [] as Pod[], rejected: [] as Pod[] };
  for (const p of order) {
    if (!portsFree(p, used)) {
      out.rejected.push(p);
      continue;
    }
    used.push(...hostPorts(p));
    out.admitted.push(p);
  }
  return out;
}
