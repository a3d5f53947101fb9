/**
 * An independent model of NetworkPolicy v1 for the truth-table tests, written from the API's
 * documentation and sharing no code with src/policy: given pods, namespaces and raw policy specs,
 * whether a connection from one pod to another pod's port is allowed.
 */

type Labels = Record<string, string>;

/** Selector is a LabelSelector as written in manifests. */
export interface Selector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}

/** MPod is a pod as the model sees it. */
export interface MPod {
  ns: string;
  name: string;
  labels: Labels;
  ip: string;
  ports: { name: string; port: number; protocol: string }[];
}

/** MPolicy is a raw NetworkPolicy: its namespace and spec. */
export interface MPolicy {
  ns: string;
  name: string;
  spec: {
    podSelector: Selector;
    policyTypes?: string[];
    ingress?: MRule[];
    egress?: MRule[];
  };
}

interface MPeer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}

interface MRule {
  from?: MPeer[];
  to?: MPeer[];
  ports?: { protocol?: string; port?: number | string; endPort?: number }[];
}

function selects(sel: Selector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = k(labels, e.key);
    if (e.operator === "In" && !(has && e.values?.includes(labels[e.key] as string))) return false;
    if (e.operator === "NotIn" && has && e.values?.includes(labels[e.key] as string)) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}
const k = (l: Labels, key: string) => Object.prototype.hasOwnProperty.call(l, key);

function ipv4(s: string): number {
  return s.split(".").reduce((a, b) => a * 256 + Number(b), 0);
}
function inCidr(ip: string, cidr: string): boolean {
  if (ip.includes(":") || cidr.includes(":")) return false;
  const [base, len] = cidr.split("/") as [string, string];
  const size = 2 ** (32 - Number(len));
  return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(base) / size);
}

function types(p: MPolicy): string[] {
  return p.spec.policyTypes ?? (p.spec.egress?.length ? ["Ingress", "Egress"] : ["Ingress"]);
}

/** Cluster is what the model judges against. */
export interface Cluster {
  pods: MPod[];
  nsLabels: Record<string, Labels>;
}

function peerMatches(peer: MPeer, policyNs: string, other: MPod, c: Cluster): boolean {
  if (peer.ipBlock) return inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((x) => inCidr(other.ip, x));
  const nsLabels = { ...(c.nsLabels[other.ns] ?? {}), "kubernetes.io/metadata.name": other.ns };
  const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, nsLabels) : other.ns === policyNs;
  return nsOk && (peer.podSelector ? selects(peer.podSelector, other.labels) : true);
}

function portMatches(r: MRule, dst: MPod, port: number, protocol: string): boolean {
  if (!r.ports?.length) return true;
  return r.ports.some((p) => {
    if ((p.protocol ?? "TCP") !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === "string") return dst.ports.some((d) => d.name === p.port && d.protocol === protocol && d.port === port);
    return port >= p.port && port <= (p.endPort ?? p.port);
  });
}

function side(
  dir: "Ingress" | "Egress",
  self: MPod,
  other: MPod,
  dst: MPod,
  port: number,
  protocol: string,
  policies: MPolicy[],
  c: Cluster,
): boolean {
  const mine = policies.filter((p) => p.ns === self.ns && types(p).includes(dir) && selects(p.spec.podSelector, self.labels));
  if (!mine.length) return true;
  return mine.some((p) =>
    ((dir === "Ingress" ? p.spec.ingress : p.spec.egress) ?? []).some((r) => {
      const peers = dir === "Ingress" ? r.from : r.to;
      return (!peers?.length || peers.some((peer) => peerMatches(peer, p.ns, other, c))) && portMatches(r, dst, port, protocol);
    }),
  );
}

/** allowed says whether src may open a connection to dst's port under the policies. */
export function allowed(src: MPod, dst: MPod, port: number, protocol: string, policies: MPolicy[], c: Cluster): boolean {
  return side("Egress", src, dst, dst, port, protocol, policies, c) && side("Ingress", dst, src, dst, port, protocol, policies, c);
}
