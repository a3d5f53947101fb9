/**
 * The per-node routing agent: the same steps on a lab node and on a real one. First each node
 * prepares its own side (a VXLAN device, say) and publishes what peers need; then each node
 * programs its peers and its egress NAT. The lab runs both phases across all nodes in turn; a
 * DaemonSet would run them on every Node change it watches.
 */
import { readJson } from "../exec/json.js";
import type { Executor, NetnsRef } from "../exec/types.js";
import { type Flavour, Iptables } from "../proxy/iptables/flavour.js";
import { ensureJumps, type Jump } from "../proxy/iptables/jumps.js";
import { routingBackend, type RoutingBackend } from "./backends.js";
import { type BirdFiles, birdFiles } from "./birdd.js";
import { EGRESS_CHAIN, type EgressPool, egressRules } from "./egress.js";
import type { EgressPlan } from "./egressplan.js";
import { type KernelRule, type KernelTableRoute, type PolicyRoute, policyBatch } from "./policy.js";
import { familyOfCidr, ROUTE_PROTO, type RouteNode, RoutingError, type RoutingSettings } from "./types.js";

/** NodeRoutingOptions place one node's agent. */
export interface NodeRoutingOptions {
  exec: Executor;
  netns: NetnsRef;
  settings: RoutingSettings;
  /** stateDir holds the node's daemon files (BIRD's config, socket, pid file, log). */
  stateDir: string;
  flavour: Flavour;
}

const EGRESS_JUMP: Jump = {
  table: "nat",
  from: "POSTROUTING",
  to: EGRESS_CHAIN,
  args: ["-m", "comment", "--comment", "podnet pod egress"],
};

/** NodeRouting is one node's routing agent. */
export class NodeRouting {
  readonly backend: RoutingBackend;
  readonly bird: BirdFiles;
  constructor(private readonly o: NodeRoutingOptions) {
    this.bird = birdFiles(`${o.stateDir}/bird`);
    this.backend = routingBackend({ exec: o.exec, netns: o.netns, settings: o.settings, bird: this.bird });
  }

  /** prepare sets up this node's side of the backend; returns the Node annotations to publish. */
  prepare(self: RouteNode): Promise<Record<string, string>> {
    return this.wrap("prepare", self.name, () => this.backend.prepare(self));
  }

  /** sync programs routes to every other node and the node's egress; returns the number of route changes. */
  sync(self: RouteNode, nodes: RouteNode[], egress: EgressPlan): Promise<number> {
    return this.wrap("sync", self.name, async () => {
      const n = await this.backend.sync(self, nodes);
      await this.syncEgress(egress.pools);
      return n + (await this.syncPolicies(egress.policies));
    });
  }

  private async syncPolicies(want: PolicyRoute[]): Promise<number> {
    const { exec, netns } = this.o;
    const rules = await readJson<KernelRule>(exec, netns, ["ip", "-j", "rule", "show"]);
    const routes = await readJson<KernelTableRoute>(exec, netns, ["ip", "-j", "route", "show", "table", "all", "proto", String(ROUTE_PROTO)]);
    const text = policyBatch(want, rules, routes);
    if (text) await this.o.exec.run({ argv: ["ip", "-batch", "-"], netns: this.o.netns, stdin: text });
    return text.split("\n").filter(Boolean).length;
  }

  /** waitRouted waits until the kernel routes every peer block (BGP converges after sync returns). */
  async waitRouted(self: RouteNode, nodes: RouteNode[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const missing = await this.backend.missing(self, nodes);
      if (missing.length === 0) return;
      if (Date.now() > deadline)
        throw new RoutingError(`failed to converge ${this.o.settings.mode} routing on node "${self.name}": no route to ${missing.join(", ")} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async syncEgress(pools: EgressPool[]): Promise<void> {
    for (const family of [4, 6] as const) {
      if (!pools.some((p) => familyOfCidr(p.cidr) === family)) continue;
      const ipt = new Iptables(this.o.exec, this.o.netns, this.o.flavour, family);
      await ipt.restore(egressRules(pools, family));
      await ensureJumps(ipt, () => true, [EGRESS_JUMP]);
    }
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
