/**
 * Which endpoints a service port uses, split the way kube-proxy's CategorizeEndpoints splits them:
 * the Cluster-policy set (ready endpoints, narrowed by topology hints when they apply, falling back
 * to serving-terminating ones), the Local-policy set (this node's ready endpoints, else its
 * serving-terminating ones), and every endpoint reachable from this node under either policy.
 */
import { type EndpointInfo, type ServicePortInfo, usesClusterEndpoints, usesLocalEndpoints } from "./types.js";
import { none } from "../util/none.js";

const ZONE_LABEL = "topology.kubernetes.io/zone";

/** usable keeps the endpoints that pass, returning eps itself (no copy) when all do and none when none do. */
function usable(eps: EndpointInfo[], keep: (ep: EndpointInfo) => boolean): EndpointInfo[] {
  let n = 0;
  for (const ep of eps) if (keep(ep)) n++;
  return n === eps.length ? eps : n === 0 ? none() : eps.filter(keep);
}

/** Categorized is the result of categorizeEndpoints. */
export interface Categorized {
  cluster: EndpointInfo[];
  local: EndpointInfo[];
  allReachable: EndpointInfo[];
  /** hasAny is true when the service has usable endpoints anywhere in the cluster. */
  hasAny: boolean;
}

function canUseTopology(eps: EndpointInfo[], sp: ServicePortInfo, labels: Record<string, string>): boolean {
  if (!sp.topologyHints) return false;
  const zone = labels[ZONE_LABEL];
  if (!zone) return false;
  let hasZone = false;
  for (const ep of eps) {
    if (!ep.ready) continue;
    if (ep.zoneHints.length === 0) return false;
    if (ep.zoneHints.includes(zone)) hasZone = true;
  }
  return hasZone;
}

/** AppliedPort is what every backend keeps of a programmed service port: the port and its endpoint split (health checks, metrics, conntrack read it). */
export interface AppliedPort {
  sp: ServicePortInfo;
  cat: Categorized;
}

/** categorizeEndpoints splits a port's endpoints into the Cluster, Local and reachable sets. */
export function categorizeEndpoints(eps: EndpointInfo[], sp: ServicePortInfo, nodeLabels: Record<string, string>): Categorized {
  let cluster = none<EndpointInfo>();
  let local = none<EndpointInfo>();
  let hasAny = false;
  let useTopology = false;
  let useTerminating = false;
  const zone = nodeLabels[ZONE_LABEL] ?? "";
  if (usesClusterEndpoints(sp)) {
    useTopology = canUseTopology(eps, sp, nodeLabels);
    cluster = usable(eps, (ep) => ep.ready && (!useTopology || ep.zoneHints.includes(zone)));
    if (cluster.length === 0) cluster = usable(eps, (ep) => ep.serving && ep.terminating);
    hasAny = cluster.length > 0;
  }
  if (!usesLocalEndpoints(sp)) return { cluster, local, allReachable: cluster, hasAny };

  let localReady = false;
  let localTerminating = false;
  for (const ep of eps) {
    if (ep.ready) {
      hasAny = true;
      if (ep.local) localReady = true;
    } else if (ep.serving && ep.terminating) {
      hasAny = true;
      if (ep.local) localTerminating = true;
    }
  }
  if (localReady) local = usable(eps, (ep) => ep.local && ep.ready);
  else if (localTerminating) {
    useTerminating = true;
    local = usable(eps, (ep) => ep.local && ep.serving && ep.terminating);
  }
  if (!usesClusterEndpoints(sp)) return { cluster, local, allReachable: local, hasAny };
  if (!useTopology && !useTerminating) return { cluster, local, allReachable: cluster, hasAny };
  const merged = new Map<string, EndpointInfo>();
  for (const ep of [...cluster, ...local]) merged.set(ep.hostPort, ep);
  const allReachable = [...merged.values()].sort((a, b) => (a.hostPort < b.hostPort ? -1 : 1));
  return { cluster, local, allReachable, hasAny };
}
