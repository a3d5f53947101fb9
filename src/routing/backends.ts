/**
 * The routing backends' I/O: each reads the node's current kernel state, lets the pure planners
 * decide, and applies the difference in as few batches as the data path's ordering allows.
 */
import { readJson, readRoutes } from "../exec/json.js";
import type { Executor, NetnsRef } from "../exec/types.js";
import { BirdDaemon, type BirdFiles } from "./birdd.js";
import { birdConfig } from "./bird.js";
import { hostGwRoutes, ownBlackholes, peerRoutable } from "./hostgw.js";
import { IPIP_UNSUPPORTED } from "./ipip.js";
import { VTEP_MAC_ANNOTATION } from "./nodes.js";
import { diffRoutes, type KernelRoute } from "./routes.js";
import { blockFamilies, ROUTE_PROTO, type RouteNode, RoutingError, type RoutingMode, type RoutingSettings } from "./types.js";
import {
  type KernelFdb,
  type KernelNeigh,
  type VxlanLink,
  vtepMac,
  vxlanDev,
  vxlanAddressLines,
  vxlanDeviceBatch,
  vxlanDeviceOk,
  vxlanEntries,
  vxlanPeers,
} from "./vxlan.js";

/** RoutingBackend programs cross-node pod routing on one node. */
export interface RoutingBackend {
  readonly mode: RoutingMode;
  /** prepare sets up the node's own side and returns the annotations peers need from it. */
  prepare(self: RouteNode): Promise<Record<string, string>>;
  /** sync makes the node's routing match the cluster's nodes; returns the number of changes. */
  sync(self: RouteNode, nodes: RouteNode[]): Promise<number>;
  /** missing lists the peer blocks the kernel does not route yet (BGP learns them asynchronously). */
  missing(self: RouteNode, nodes: RouteNode[]): Promise<string[]>;
}

function peerBlocks(self: RouteNode, nodes: RouteNode[]): string[] {
  return peerRoutable(self, nodes).map((r) => r.dst);
}

/** kernelRoutes reads the routes of a protocol, of each family the node hosts blocks of. */
function kernelRoutes(ctx: NodeContext, self: RouteNode, proto: string): Promise<KernelRoute[]> {
  return readRoutes<KernelRoute>(ctx.exec, ctx.netns, proto, blockFamilies(self));
}

async function unrouted(ctx: NodeContext, self: RouteNode, blocks: string[], proto: string): Promise<string[]> {
  const have = new Set((await kernelRoutes(ctx, self, proto)).map((r) => r.dst));
  return blocks.filter((b) => !have.has(b));
}

/** NodeContext is where a backend acts: one node's namespace, with files of its own. */
export interface NodeContext {
  exec: Executor;
  netns: NetnsRef;
  settings: RoutingSettings;
  bird: BirdFiles;
}

function json<T>(ctx: NodeContext, argv: string[]): Promise<T[]> {
  return readJson<T>(ctx.exec, ctx.netns, argv);
}

async function batch(ctx: NodeContext, tool: "ip" | "bridge", lines: string): Promise<number> {
  if (!lines) return 0;
  await ctx.exec.run({ argv: [tool, "-batch", "-"], netns: ctx.netns, stdin: lines });
  return lines.split("\n").filter(Boolean).length;
}

const text = (l: string[]) => (l.length ? `${l.join("\n")}\n` : "");

function podRoutes(ctx: NodeContext, self: RouteNode): Promise<KernelRoute[]> {
  return kernelRoutes(ctx, self, String(ROUTE_PROTO));
}

class HostGw implements RoutingBackend {
  readonly mode = "host-gw" as const;
  constructor(private readonly ctx: NodeContext) {}
  async prepare(): Promise<Record<string, string>> {
    return {};
  }
  async sync(self: RouteNode, nodes: RouteNode[]): Promise<number> {
    const d = diffRoutes([...ownBlackholes(self), ...hostGwRoutes(self, nodes)], await podRoutes(this.ctx, self));
    return batch(this.ctx, "ip", text([...d.del, ...d.add]));
  }
  missing(self: RouteNode, nodes: RouteNode[]): Promise<string[]> {
    return unrouted(this.ctx, self, peerBlocks(self, nodes), String(ROUTE_PROTO));
  }
}

class Vxlan implements RoutingBackend {
  readonly mode = "vxlan" as const;
  constructor(private readonly ctx: NodeContext) {}
  async prepare(self: RouteNode): Promise<Record<string, string>> {
    const { ctx } = this;
    const dev = vxlanDev(ctx.settings);
    const [link] = await json<VxlanLink>(ctx, ["ip", "-j", "-d", "address", "show", "dev", dev]);
    if (!link || !vxlanDeviceOk(link, self, ctx.settings)) {
      if (link) await batch(ctx, "ip", `link del ${dev}\n`);
      await batch(ctx, "ip", vxlanDeviceBatch(self, ctx.settings));
    } else await batch(ctx, "ip", text(vxlanAddressLines(self, ctx.settings, link.addr_info)));
    return { [VTEP_MAC_ANNOTATION]: vtepMac(self.name) };
  }
  async sync(self: RouteNode, nodes: RouteNode[]): Promise<number> {
    const { ctx } = this;
    const dev = vxlanDev(ctx.settings);
    const peers = vxlanPeers(self, nodes, ctx.settings);
    const routes = diffRoutes([...ownBlackholes(self), ...peers.flatMap((p) => p.routes)], await podRoutes(ctx, self));
    const neighs = await json<KernelNeigh>(ctx, ["ip", "-j", "neigh", "show", "dev", dev]);
    const fdbs = await json<KernelFdb>(ctx, ["bridge", "-j", "fdb", "show", "dev", dev]);
    const e = vxlanEntries(peers, neighs, fdbs, ctx.settings);
    let n = await batch(ctx, "ip", text(routes.del));
    n += await batch(ctx, "ip", e.neighDel);
    n += await batch(ctx, "bridge", e.fdbDel);
    n += await batch(ctx, "ip", e.neigh);
    n += await batch(ctx, "bridge", e.fdb);
    return n + (await batch(ctx, "ip", text(routes.add)));
  }
  missing(self: RouteNode, nodes: RouteNode[]): Promise<string[]> {
    const routes = vxlanPeers(self, nodes, this.ctx.settings).flatMap((p) => p.routes.map((r) => r.dst));
    return unrouted(this.ctx, self, routes, String(ROUTE_PROTO));
  }
}

class Bgp implements RoutingBackend {
  readonly mode = "bgp" as const;
  private readonly bird: BirdDaemon;
  constructor(private readonly ctx: NodeContext) {
    this.bird = new BirdDaemon(ctx.exec, ctx.netns, ctx.bird);
  }
  async prepare(): Promise<Record<string, string>> {
    return {};
  }
  async sync(self: RouteNode, nodes: RouteNode[]): Promise<number> {
    return (await this.bird.apply(birdConfig(self, nodes, this.ctx.settings))) ? 1 : 0;
  }
  missing(self: RouteNode, nodes: RouteNode[]): Promise<string[]> {
    return unrouted(this.ctx, self, peerBlocks(self, nodes), "bird");
  }
}

/** routingBackend picks the backend for the cluster's mode; ipip fails here with the reason. */
export function routingBackend(ctx: NodeContext): RoutingBackend {
  switch (ctx.settings.mode) {
    case "host-gw":
      return new HostGw(ctx);
    case "vxlan":
      return new Vxlan(ctx);
    case "bgp":
      return new Bgp(ctx);
    case "ipip":
      throw new RoutingError(`failed to set up routing mode "ipip": ${IPIP_UNSUPPORTED}`);
  }
}
