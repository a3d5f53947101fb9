/**
 * NetworkPolicy v1 read into plain data with its defaults resolved, so the compiler never meets an
 * absent field: policyTypes defaulted as the API server does (Ingress always, Egress when there are
 * egress rules), a direction the policy does not govern left undefined, "all peers" and "all
 * ports" spelled out, a podSelector-only peer bound to the policy's namespace.
 */
import type { LabelSelector, NetworkPolicy, Protocol } from "../model/types.js";

/** Direction is the side of a pod a rule governs. */
export type Direction = "ingress" | "egress";

/** DIRECTIONS lists both, ingress first. */
export const DIRECTIONS: readonly Direction[] = ["ingress", "egress"];

/** PodPeer is pods by labels in namespaces given by name or by labels. */
export interface PodPeer {
  kind: "pods";
  namespaces: { name: string } | { selector: LabelSelector };
  pods: LabelSelector;
}

/** BlockPeer is an ipBlock: a CIDR less its exceptions. */
export interface BlockPeer {
  kind: "block";
  cidr: string;
  except: string[];
}

/** Peer is one entry of from / to. */
export type Peer = PodPeer | BlockPeer;

/** PortSpec is one entry of ports: a protocol, and a number (with endPort) or a name, or neither (all ports). */
export interface PortSpec {
  protocol: Protocol;
  port?: number | string;
  endPort?: number;
}

/** Rule is one ingress or egress rule; "all" stands for an absent or empty list. */
export interface Rule {
  peers: Peer[] | "all";
  ports: PortSpec[] | "all";
}

/** Policy is a NetworkPolicy resolved; a direction it does not govern is undefined, one it isolates with no rules is []. */
export interface Policy {
  /** key is `namespace/name`. */
  key: string;
  namespace: string;
  name: string;
  podSelector: LabelSelector;
  ingress?: Rule[];
  egress?: Rule[];
}

interface RawPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

interface RawRule {
  from?: RawPeer[];
  to?: RawPeer[];
  ports?: { protocol?: Protocol; port?: number | string; endPort?: number }[];
}

/** policyTypes is the policy's effective types: as given, else Ingress plus Egress when it has egress rules. */
export function policyTypes(np: NetworkPolicy): Direction[] {
  const given = np.spec.policyTypes;
  if (given?.length) return DIRECTIONS.filter((d) => given.includes(d === "ingress" ? "Ingress" : "Egress"));
  return (np.spec.egress as unknown[] | undefined)?.length ? ["ingress", "egress"] : ["ingress"];
}

/** resolvePolicy reads a (validated) NetworkPolicy into a Policy. */
export function resolvePolicy(np: NetworkPolicy): Policy {
  const namespace = np.metadata.namespace ?? "default";
  const out: Policy = {
    key: `${namespace}/${np.metadata.name}`,
    namespace,
    name: np.metadata.name,
    podSelector: np.spec.podSelector ?? {},
  };
  for (const d of policyTypes(np)) {
    const raw = (np.spec[d] ?? []) as RawRule[];
    out[d] = raw.map((r) => resolveRule(r, d === "ingress" ? r.from : r.to, namespace));
  }
  return out;
}

function resolveRule(r: RawRule, peers: RawPeer[] | undefined, namespace: string): Rule {
  return {
    peers: peers?.length ? peers.map((p) => resolvePeer(p, namespace)) : "all",
    ports: r.ports?.length
      ? r.ports.map((p) => ({
          protocol: p.protocol ?? "TCP",
          ...(p.port !== undefined ? { port: p.port } : {}),
          ...(p.endPort !== undefined ? { endPort: p.endPort } : {}),
        }))
      : "all",
  };
}

function resolvePeer(p: RawPeer, namespace: string): Peer {
  if (p.ipBlock) return { kind: "block", cidr: p.ipBlock.cidr, except: [...(p.ipBlock.except ?? [])] };
  return {
    kind: "pods",
    namespaces: p.namespaceSelector ? { selector: p.namespaceSelector } : { name: namespace },
    pods: p.podSelector ?? {},
  };
}
