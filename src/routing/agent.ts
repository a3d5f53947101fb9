/**
 * The per-node routing agent: the same steps on a lab node and on a real one. First each node
 * prepares its own side (a VXLAN device, say) and publishes what peers need; then each node
 * reconciles its routes to its peers, its gateway policy routes and its egress NAT. The lab runs
 * both phases across all nodes in turn; a DaemonSet would run them on every Node change it watches.
 */
import { awaitConverged, type DataPlane, type NodeKernel, NodeTransaction, reconcile } from "../dataplane/index.js";
import type { Executor } from "../exec/types.js";
import type { Route } from "../iproute/index.js";
import { BirdDaemon, birdFiles, type BirdFiles, withLog } from "./birdd.js";
import { egressFamilies, observeEgress } from "./egress.js";
import { IPIP_UNSUPPORTED } from "./ipip.js";
import { VTEP_MAC_ANNOTATION } from "./nodes.js";
import { birdPending, planRouting, type RoutingChanges, type RoutingDesired, type RoutingObserved } from "./plan.js";
import { blockFamilies, ROUTE_PROTO, type RouteNode, RoutingError, type RoutingSettings } from "./types.js";
import { planDevice, vtepMac, vxlanDev } from "./vxlan.js";

/** NodeRoutingOptions place one node's agent. */
export interface NodeRoutingOptions {
  kernel: NodeKernel;
  /** exec runs BIRD and birdc (bgp mode). */
  exec: Executor;
  settings: RoutingSettings;
  /** stateDir holds the node's daemon files (BIRD's config, socket, pid file, log). */
  stateDir: string;
}

/** NodeRouting is one node's routing agent. */
export class NodeRouting implements DataPlane<RoutingDesired, RoutingObserved, RoutingChanges> {
  readonly bird: BirdFiles;
  private readonly daemon: BirdDaemon;
  /** synced is the desired state the last sync applied in full (ip and iptables changes are transactional). */
  private synced: RoutingDesired | undefined;
  constructor(private readonly o: NodeRoutingOptions) {
    if (o.settings.mode === "ipip") throw new RoutingError(`failed to set up routing mode "ipip": ${IPIP_UNSUPPORTED}`);
    this.bird = birdFiles(`${o.stateDir}/bird`);
    this.daemon = new BirdDaemon(o.exec, o.kernel.netns, this.bird);
  }

  /** prepare sets up this node's side of the mode; returns the Node annotations to publish. */
  prepare(self: RouteNode): Promise<Record<string, string>> {
    return this.wrap("prepare", self.name, async (): Promise<Record<string, string>> => {
      if (this.o.settings.mode !== "vxlan") return {};
      const tx = new NodeTransaction();
      planDevice(tx.ip, self, this.o.settings, await this.o.kernel.ip.link(vxlanDev(this.o.settings)));
      if (!tx.empty) await this.o.kernel.apply(tx);
      return { [VTEP_MAC_ANNOTATION]: vtepMac(self.name) };
    });
  }

  /** sync programs routes to every other node, gateway policy routes and egress NAT; returns the number of changes. */
  sync(desired: RoutingDesired): Promise<number> {
    this.synced = undefined;
    return this.wrap("sync", desired.self.name, async () => {
      const n = await reconcile(this, desired);
      this.synced = desired;
      return n;
    });
  }

  /**
   * waitRouted waits until the node matches its plan and routes every peer block. What a sync of
   * this same desired state applied is in effect when it returns (`ip -batch` and
   * `iptables-restore` fail loudly), so only BGP, whose routes BIRD installs afterwards, and a
   * node not synced to this state are checked again.
   */
  async waitRouted(desired: RoutingDesired, timeoutMs = 30_000): Promise<void> {
    if (this.synced === desired && this.o.settings.mode !== "bgp") return;
    await awaitConverged(this, desired, `${this.o.settings.mode} routing on node "${desired.self.name}"`, timeoutMs);
  }

  async observe(d: RoutingDesired): Promise<RoutingObserved> {
    const { kernel, settings } = this.o;
    const ip = kernel.ip;
    const fams = blockFamilies(d.self);
    const byFamily = (proto: number | string) =>
      Promise.all(fams.map((family) => ip.routes({ family, proto }))).then((l): Route[] => l.flat());
    const dev = vxlanDev(settings);
    const [routes, rules, tableRoutes, vxlan, egress, bird] = await Promise.all([
      byFamily(ROUTE_PROTO),
      ip.rules(),
      ip.routes({ family: 4, proto: ROUTE_PROTO, table: "all" }),
      settings.mode === "vxlan"
        ? Promise.all([ip.neighbours(dev), ip.fdb(dev)]).then(([neighbours, fdb]) => ({ neighbours, fdb }))
        : undefined,
      Promise.all(egressFamilies(d.egress.pools).map(async (f) => [f, await observeEgress(kernel.iptables(f))] as const)).then((e) =>
        Object.fromEntries(e),
      ),
      settings.mode === "bgp" ? byFamily("bird").then((r) => ({ ...this.daemon.current(), routes: r })) : undefined,
    ]);
    return { routes, rules, tableRoutes, egress, ...(vxlan ? { vxlan } : {}), ...(bird ? { bird } : {}) };
  }

  plan(d: RoutingDesired, o: RoutingObserved): RoutingChanges {
    return planRouting(d, o, this.o.settings, (c) => withLog(c, this.bird.log));
  }

  async apply(ch: RoutingChanges): Promise<void> {
    if (!ch.tx.empty) await this.o.kernel.apply(ch.tx);
    if (ch.bird !== undefined) await this.daemon.apply(ch.bird);
  }

  pending(d: RoutingDesired, o: RoutingObserved): string[] {
    return this.o.settings.mode === "bgp" ? birdPending(d, o).map((b) => `no route to ${b}`) : [];
  }

  private async wrap<T>(verb: string, node: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof RoutingError) throw e;
      throw new RoutingError(`failed to ${verb} ${this.o.settings.mode} routing on node "${node}": ${(e as Error).message}`, { cause: e });
    }
  }
}
