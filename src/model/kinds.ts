/**
 * The kinds podnet accepts, their API groups, whether they are namespaced, and the names kubectl
 * users type for them (`get pods`, `get svc`, …).
 */

/** KindInfo describes one accepted kind. */
export interface KindInfo {
  kind: string;
  apiVersion: string;
  namespaced: boolean;
  /** nameRule is the Kubernetes rule for metadata.name of this kind. */
  nameRule: "label" | "subdomain" | "label1035";
  plural: string;
  aliases: string[];
}

/** KINDS lists every kind podnet accepts in manifests. */
export const KINDS: readonly KindInfo[] = [
  {
    kind: "Namespace",
    apiVersion: "v1",
    namespaced: false,
    nameRule: "label",
    plural: "namespaces",
    aliases: ["namespace", "ns"],
  },
  {
    kind: "Node",
    apiVersion: "v1",
    namespaced: false,
    nameRule: "subdomain",
    plural: "nodes",
    aliases: ["node", "no"],
  },
  {
    kind: "Pod",
    apiVersion: "v1",
    namespaced: true,
    nameRule: "subdomain",
    plural: "pods",
    aliases: ["pod", "po"],
  },
  {
    kind: "Service",
    apiVersion: "v1",
    namespaced: true,
    nameRule: "label1035",
    plural: "services",
    aliases: ["service", "svc"],
  },
  {
    kind: "Deployment",
    apiVersion: "apps/v1",
    namespaced: true,
    nameRule: "subdomain",
    plural: "deployments",
    aliases: ["deployment", "deploy"],
  },
  {
    kind: "EndpointSlice",
    apiVersion: "discovery.k8s.io/v1",
    namespaced: true,
    nameRule: "subdomain",
    plural: "endpointslices",
    aliases: ["endpointslice"],
  },
  {
    kind: "NetworkPolicy",
    apiVersion: "networking.k8s.io/v1",
    namespaced: true,
    nameRule: "subdomain",
    plural: "networkpolicies",
    aliases: ["networkpolicy", "netpol"],
  },
  {
    kind: "Subnet",
    apiVersion: "podnet.io/v1",
    namespaced: false,
    nameRule: "subdomain",
    plural: "subnets",
    aliases: ["subnet"],
  },
];

/** kindInfo finds a kind by its Kind name. */
export function kindInfo(kind: string): KindInfo | undefined {
  return KINDS.find((k) => k.kind === kind);
}

/** resolveResource maps what a user types (`pods`, `svc`, `Deployment`) to a kind. */
export function resolveResource(name: string): KindInfo | undefined {
  const n = name.toLowerCase();
  return KINDS.find((k) => k.plural === n || k.aliases.includes(n) || k.kind.toLowerCase() === n);
}

/** qualifiedKind is how kubectl names a kind in `kind/name`: lower case, with its API group (`deployment.apps`). */
export function qualifiedKind(o: { kind: string; apiVersion: string }): string {
  const group = o.apiVersion.includes("/") ? `.${o.apiVersion.split("/")[0]}` : "";
  return `${(kindInfo(o.kind)?.kind ?? o.kind).toLowerCase()}${group}`;
}
