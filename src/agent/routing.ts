/**
 * The agent's routing part: what the lab's in-process reconcile does for one node, driven by the
 * cluster's objects instead. For every snapshot it publishes the node's own side on its Node (the
 * VXLAN device's MAC) when the Node lacks it, then reconciles routes to every peer, gateway policy
 * routes and egress NAT. A peer that has not published its side yet is pending: the others are
 * routed, and the state is reported as not converged until the peer's Node carries it. Nothing is
 * flushed: a restarted agent observes what the kernel holds and changes only the difference.
 */
import { annotateNode, hasAnnotations } from "../cluster/annotate.js";
import type { Node, Subnet } from "../model/types.js";
import type { NodeRouting } from "../routing/agent.js";
import { egressPlan, egressSubnet } from "../routing/egressplan.js";
import { routeNodes, VTEP_MAC_ANNOTATION } from "../routing/nodes.js";
import type { RoutingDesired } from "../routing/plan.js";
import { RoutingError, type RoutingSettings } from "../routing/types.js";
import { byKind, type StoreSnapshot } from "../store/follow.js";
import type { Store } from "../store/types.js";

/** RoutingResult is one pass: kernel changes made, and the peers still waited for. */
export interface RoutingResult {
  changes: number;
  /** converged says the node routes every peer of the snapshot and its own side is published. */
  converged: boolean;
  pending: string[];
}

/** RoutingLoopOptions place the routing part of one node's agent. */
export interface RoutingLoopOptions {
  node: string;
  routing: NodeRouting;
  settings: RoutingSettings;
  clusterCIDRs: string[];
  /** store takes the Node annotations the agent publishes. */
  store: Store;
  /** routedTimeoutMs bounds the wait for BGP routes after a sync. */
  routedTimeoutMs: number;
}

/**
 * routingInputs fingerprints what a pass reads: each Node's addresses, pod CIDRs and published side,
 * and each Subnet (by version). While it stays the same a pass would change nothing, so a change to
 * anything else (an endpoint, a label, a heartbeat annotation) costs no pass on any node.
 */
export function routingInputs(snap: StoreSnapshot): string {
  const parts: string[] = [];
  for (const [k, o] of Object.entries(snap.objects)) {
    if (k.startsWith("Subnet/")) parts.push(`${k}@${o.metadata.resourceVersion ?? ""}`);
    if (!k.startsWith("Node/")) continue;
    const n = o as Node;
    const ips = (n.status?.addresses ?? []).filter((a) => a.type === "InternalIP").map((a) => a.address);
    const cidrs = n.spec.podCIDRs ?? [n.spec.podCIDR ?? ""];
    parts.push(`${k} ${ips.join(",")} ${cidrs.join(",")} ${n.metadata.annotations?.[VTEP_MAC_ANNOTATION] ?? ""}`);
  }
  return parts.sort().join("\n");
}

/** RoutingLoop syncs one node's routing to snapshots of the cluster. */
export class RoutingLoop {
  constructor(private readonly o: RoutingLoopOptions) {}

  /** sync runs one pass for a snapshot. */
  async sync(snap: StoreSnapshot): Promise<RoutingResult> {
    const { node, routing, settings } = this.o;
    const nodes = byKind<Node>(snap, "Node");
    const subnets = byKind<Subnet>(snap, "Subnet");
    const me = nodes.find((n) => n.metadata.name === node);
    if (!me) throw new RoutingError(`failed to route node "${node}": the cluster has no such Node`);
    const bare = routeNodes([me], []).at(0);
    // A Node without an address or pod CIDR yet (the controllers allocate it) has nothing to route.
    if (!bare) return { changes: 0, converged: false, pending: [node] };
    const side = await routing.prepare(bare);
    // Written only when the Node lacks it; the write is itself a change every agent sees next.
    const published = !hasAnnotations(me.metadata.annotations, side) && (await annotateNode(this.o.store, node, side));
    const all = routeNodes(nodes, subnets);
    const self = all.find((n) => n.name === node) ?? bare;
    const desired: RoutingDesired = {
      self,
      nodes: all,
      egress: egressPlan(self, all, this.o.clusterCIDRs, subnets.map(egressSubnet), settings),
    };
    const changes = await routing.sync(desired);
    await routing.waitRouted(desired, this.o.routedTimeoutMs);
    const pending = settings.mode === "vxlan" ? all.filter((n) => n.name !== node && !n.vtepMac).map((n) => n.name) : [];
    return { changes, converged: !published && pending.length === 0, pending };
  }
}
