/**
 * One node's routing, planned: the pod routes of the cluster's mode (host-gw routes, vxlan routes
 * with their neighbours and FDB entries, or BIRD's config for bgp), the centralized gateways'
 * policy routes and the egress NAT, all from the desired state and what the node has. Pure: a sync
 * applies the plan, `podnet render routing` prints it against an empty node, and the convergence
 * check asks whether a fresh plan is empty.
 */
import type { Changes } from "../dataplane/index.js";
import { NodeTransaction } from "../dataplane/index.js";
import type { FdbEntry, IpTransaction, Neighbour, Route, Rule } from "../iproute/index.js";
import { birdConfig } from "./bird.js";
import { type EgressObserved, egressFamilies, planEgress } from "./egress.js";
import type { EgressPlan } from "./egressplan.js";
import { hostGwRoutes, ownBlackholes, peerRoutable } from "./hostgw.js";
import { ipipTransaction } from "./ipip.js";
import { planPolicy } from "./policy.js";
import { diffRoutes } from "./routes.js";
import type { RouteNode, RoutingSettings } from "./types.js";
import { vxlanEntries, vxlanPeers } from "./vxlan.js";

/** RoutingDesired is what one node should have: itself, its peers and its egress. */
export interface RoutingDesired {
  self: RouteNode;
  nodes: RouteNode[];
  egress: EgressPlan;
}

/** BirdObserved is the node's BIRD: its config file (as written), whether it runs, the routes it installed. */
export interface BirdObserved {
  config: string | undefined;
  running: boolean;
  routes: Route[];
}

/** RoutingObserved is what the node has of everything routing writes. */
export interface RoutingObserved {
  /** routes are the node's protocol-81 routes in the main table. */
  routes: Route[];
  vxlan?: { neighbours: Neighbour[]; fdb: FdbEntry[] };
  rules: Rule[];
  /** tableRoutes are protocol-81 routes of every table (the gateways' tables among them). */
  tableRoutes: Route[];
  egress: Partial<Record<4 | 6, EgressObserved>>;
  bird?: BirdObserved;
}

/** EMPTY_NODE is a node with nothing of podnet's yet (what `podnet render` plans against). */
export const EMPTY_NODE: RoutingObserved = { routes: [], rules: [], tableRoutes: [], egress: {}, vxlan: { neighbours: [], fdb: [] } };

/** RoutingChanges are a sync's kernel transaction and, in bgp mode, the BIRD config to load. */
export class RoutingChanges implements Changes {
  readonly tx = new NodeTransaction();
  /** bird is the full bird.conf to write and load, when it differs from the running one. */
  bird: string | undefined;
  get size(): number {
    return this.tx.size + (this.bird === undefined ? 0 : 1);
  }
  get empty(): boolean {
    return this.size === 0;
  }
}

/** peerBlocks are the peer blocks this node must route. */
export function peerBlocks(d: RoutingDesired): string[] {
  return peerRoutable(d.self, d.nodes).map((r) => r.dst);
}

function planHostGw(tx: IpTransaction, d: RoutingDesired, o: RoutingObserved): void {
  const diff = diffRoutes([...ownBlackholes(d.self), ...hostGwRoutes(d.self, d.nodes)], o.routes);
  for (const r of diff.del) tx.delRoute(r);
  for (const r of diff.add) tx.replaceRoute(r);
}

function planVxlan(tx: IpTransaction, d: RoutingDesired, o: RoutingObserved, s: RoutingSettings): void {
  const peers = vxlanPeers(d.self, d.nodes, s);
  const routes = diffRoutes([...ownBlackholes(d.self), ...peers.flatMap((p) => p.routes)], o.routes);
  const e = vxlanEntries(peers, o.vxlan?.neighbours ?? [], o.vxlan?.fdb ?? [], s);
  // Routes go before the entries they use, and come after them: flannel's order.
  for (const r of routes.del) tx.delRoute(r);
  for (const n of e.neighDel) tx.delNeighbour(n);
  for (const f of e.fdbDel) tx.delFdb(f);
  for (const n of e.neigh) tx.replaceNeighbour(n);
  for (const f of e.fdb) tx.replaceFdb(f);
  for (const r of routes.add) tx.replaceRoute(r);
}

/** planRouting computes one node's routing changes; birdText turns a bird.conf into the file BIRD is given. */
export function planRouting(
  d: RoutingDesired,
  o: RoutingObserved,
  s: RoutingSettings,
  birdText: (conf: string) => string = (c) => c,
): RoutingChanges {
  const ch = new RoutingChanges();
  const tx = ch.tx;
  if (s.mode === "host-gw") planHostGw(tx.ip, d, o);
  else if (s.mode === "vxlan") planVxlan(tx.ip, d, o, s);
  else if (s.mode === "ipip") tx.ip.append(ipipTransaction(d.self, d.nodes, s));
  else {
    const conf = birdText(birdConfig(d.self, d.nodes, s));
    if (!o.bird?.running || o.bird.config !== conf) ch.bird = conf;
  }
  planPolicy(tx.ip, d.egress.policies, o.rules, o.tableRoutes);
  for (const f of egressFamilies(d.egress.pools)) planEgress(tx.iptables[f], d.egress.pools, o.egress[f]);
  return ch;
}

/** birdPending lists the peer blocks BIRD has not installed yet (BGP converges after the sync). */
export function birdPending(d: RoutingDesired, o: RoutingObserved): string[] {
  const have = new Set((o.bird?.routes ?? []).map((r) => r.dst));
  return peerBlocks(d).filter((b) => !have.has(b));
}
