/**
 * The lab's network reconcile, run after every change: each node's routing agent (host-gw, vxlan
 * or bgp) in two phases — every node prepares its own side and publishes it on its Node, then
 * every node reconciles routes to its peers and its egress NAT — and the underlay's service routes.
 */
import { annotateNode } from "../cluster/annotate.js";
import { RealNodeKernel } from "../dataplane/index.js";
import type { Executor } from "../exec/types.js";
import { RealIpNode } from "../iproute/index.js";
import type { EndpointSlice, Node, Service, Subnet } from "../model/types.js";
import { NodeRouting } from "../routing/agent.js";
import { egressPlan, egressSubnet } from "../routing/egressplan.js";
import { routeNodes } from "../routing/nodes.js";
import type { RoutingDesired } from "../routing/plan.js";
import { familyOfCidr, nodeAddress } from "../routing/types.js";
import type { Store } from "../store/types.js";
import type { LabConfig } from "./config.js";
import { type LabPaths, nodeNetns, underlayNetns } from "./layout.js";
import { planServiceRoutes, SERVICE_ROUTE_PROTO, serviceRoutes } from "./netroutes.js";

/** nodeRouting is the routing agent of one lab node. */
export function nodeRouting(exec: Executor, paths: LabPaths, cfg: LabConfig, node: string): NodeRouting {
  return new NodeRouting({
    kernel: new RealNodeKernel(exec, nodeNetns(cfg.name, node), cfg.iptables),
    exec,
    settings: cfg.routing,
    stateDir: paths.routingDir(node),
  });
}

/** routingDesired is every node's desired routing state, from the store's Nodes and Subnets. */
export async function routingDesired(store: Store, cfg: LabConfig): Promise<Map<string, RoutingDesired>> {
  const subnets = await store.read((tx) => tx.list<Subnet>("Subnet"));
  const nodes = routeNodes(await store.read((tx) => tx.list<Node>("Node")), subnets);
  const egress = subnets.map(egressSubnet);
  return new Map(
    nodes.map((self) => [self.name, { self, nodes, egress: egressPlan(self, nodes, cfg.cluster.clusterCIDRs, egress, cfg.routing) }]),
  );
}

/** syncRouting runs every lab node's routing agent and waits until each routes to every peer; returns the number of kernel changes. */
export async function syncRouting(exec: Executor, paths: LabPaths, store: Store, cfg: LabConfig): Promise<number> {
  const agents = cfg.nodes.map((n) => ({ n, agent: nodeRouting(exec, paths, cfg, n.name) }));
  const before = routeNodes(await store.read((tx) => tx.list<Node>("Node")), []);
  for (const { n, agent } of agents) {
    const self = before.find((r) => r.name === n.name);
    if (self) await annotateNode(store, n.name, await agent.prepare(self));
  }
  const desired = await routingDesired(store, cfg);
  const work = agents.flatMap(({ n, agent }) => {
    const d = desired.get(n.name);
    return d ? [{ agent, desired: d }] : [];
  });
  const changes = await Promise.all(work.map(({ agent, desired }) => agent.sync(desired)));
  await Promise.all(work.map(({ agent, desired }) => agent.waitRouted(desired)));
  return changes.reduce((a, b) => a + b, 0);
}

/**
 * syncServiceRoutes points the underlay's routes for LoadBalancer and external IPs at the nodes,
 * and routes each block of a `natOutgoing: false` Subnet to its node: the outside world reaches
 * those pods by their own addresses.
 */
export async function syncServiceRoutes(exec: Executor, store: Store, cfg: LabConfig): Promise<void> {
  const { services, slices, subnets } = await store.read((tx) => ({
    services: tx.list<Service>("Service"),
    slices: tx.list<EndpointSlice>("EndpointSlice"),
    subnets: tx.list<Subnet>("Subnet"),
  }));
  const underlay = new RealIpNode(exec, underlayNetns(cfg.name));
  const families = cfg.ipFamily === "dual" ? ([4, 6] as const) : ([4] as const);
  const existing = (await Promise.all(families.map((family) => underlay.routes({ family, proto: SERVICE_ROUTE_PROTO })))).flat();
  const want = serviceRoutes(services, slices, cfg.nodes);
  for (const s of subnets.filter((x) => x.spec.natOutgoing === false))
    for (const b of s.status?.blocks ?? []) {
      const node = cfg.nodes.find((n) => n.name === b.node);
      const via = node && nodeAddress(node, familyOfCidr(b.cidr));
      if (via) want.set(b.cidr, [via]);
    }
  const tx = planServiceRoutes(want, existing);
  if (!tx.empty) await underlay.apply(tx);
}
