/**
 * NetworkPolicy's verdict for one connection, read straight from resolved policies (model.ts): a
 * pod no policy selects in a direction is open in it; a selected one admits what some selecting
 * policy's rule admits — the peer (pods by namespace and labels, or an ipBlock less its
 * exceptions) and the port (a number, a range, or a name looked up in the destination's
 * containers). Both the egress side of the source and the ingress side of the destination must
 * admit. For views and explanations; the data plane runs the compiled rules.
 */
import { matchesSelector } from "../model/selector.js";
import type { Protocol } from "../model/types.js";
import { cidrContains, parseCIDR } from "../util/ip.js";
import type { Direction, Peer, Policy, PortSpec } from "./model.js";

/** VPod is what a verdict needs of a pod: namespace, labels, address and named ports. */
export interface VPod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ip: string;
  ports: { name?: string; port: number; protocol: Protocol }[];
}

/** selecting lists the policies that select a pod in a direction. */
export function selecting(policies: Policy[], pod: VPod, d: Direction): Policy[] {
  return policies.filter((p) => p[d] !== undefined && p.namespace === pod.namespace && matchesSelector(p.podSelector, pod.labels));
}

const inCidr = (cidr: string, ip: string) => {
  const c = parseCIDR(cidr);
  return c !== undefined && cidrContains(c, ip);
};

function peerHolds(peer: Peer, other: VPod, nsLabels: (ns: string) => Record<string, string>): boolean {
  if (peer.kind === "block") return inCidr(peer.cidr, other.ip) && !peer.except.some((e) => inCidr(e, other.ip));
  const nsOk =
    "name" in peer.namespaces
      ? peer.namespaces.name === other.namespace
      : matchesSelector(peer.namespaces.selector, nsLabels(other.namespace));
  return nsOk && matchesSelector(peer.pods, other.labels);
}

function portHolds(spec: PortSpec, dst: VPod, port: number, protocol: Protocol): boolean {
  if (spec.protocol !== protocol) return false;
  if (spec.port === undefined) return true;
  if (typeof spec.port === "string") return dst.ports.some((p) => p.name === spec.port && p.port === port && p.protocol === protocol);
  return port >= spec.port && port <= (spec.endPort ?? spec.port);
}

/** admits says whether one side (the source's egress, or the destination's ingress) lets the connection through, and by which policy. */
export function admits(
  policies: Policy[],
  self: VPod,
  other: VPod,
  d: Direction,
  dst: VPod,
  port: number,
  protocol: Protocol,
  nsLabels: (ns: string) => Record<string, string>,
): { ok: boolean; by?: string } {
  const sel = selecting(policies, self, d);
  if (sel.length === 0) return { ok: true };
  for (const p of sel)
    for (const r of p[d] ?? [])
      if (
        (r.peers === "all" || r.peers.some((peer) => peerHolds(peer, other, nsLabels))) &&
        (r.ports === "all" || r.ports.some((s) => portHolds(s, dst, port, protocol)))
      )
        return { ok: true, by: p.key };
  return { ok: false };
}

/** allowedBetween says whether src may open a connection to dst's port: src's egress and dst's ingress must both admit it. */
export function allowedBetween(
  policies: Policy[],
  src: VPod,
  dst: VPod,
  port: number,
  protocol: Protocol,
  nsLabels: (ns: string) => Record<string, string>,
): { ok: boolean; egress?: string; ingress?: string } {
  if (src.namespace === dst.namespace && src.name === dst.name) return { ok: true };
  const e = admits(policies, src, dst, "egress", dst, port, protocol, nsLabels);
  const i = admits(policies, dst, src, "ingress", dst, port, protocol, nsLabels);
  return { ok: e.ok && i.ok, ...(e.by ? { egress: e.by } : {}), ...(i.by ? { ingress: i.by } : {}) };
}
