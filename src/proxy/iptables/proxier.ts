/**
 * IptablesProxier: one IP family's kube-proxy-style sync loop body. It turns the tracker's changed
 * services into per-port rules, plans the smallest iptables-restore transaction, applies it once,
 * and only then adopts the new state. Full syncs (first, periodic, after a flush) rewrite every
 * podnet chain and remove stale ones; partial syncs touch only the chains whose text changed.
 */
import type { Executor, NetnsRef } from "../../exec/types.js";
import { type ConntrackFlush, type Flavour, flushConntrack, type IptablesNode, RealIptables } from "../../netfilter/index.js";
import type { AppliedPort } from "../categorize.js";
import { staleFlows } from "../conntrack.js";
import type { ServiceTracker } from "../tracker.js";
import { type Family, type ProxyConfig, ProxyError, type SyncResult } from "../types.js";

export type { SyncResult };
import { computeUpdates as computeGeneric, type Updates } from "../updates.js";
import { canariesIntact, type JumpSteps, observeJumps } from "./jumps.js";
import { isServiceChain } from "./names.js";
import { type PortRules, type RenderContext, renderPort } from "./render.js";
import { fullSyncChains, IptablesRuleset, type SyncPlan } from "./ruleset.js";

/** LARGE_CLUSTER_ENDPOINTS is kube-proxy's threshold for dropping per-endpoint comments. */
export const LARGE_CLUSTER_ENDPOINTS = 1000;
/** NAT_BUILTINS are the nat chains podnet jumps from; a legacy listing of the table carries their rules. */
const NAT_BUILTINS = ["PREROUTING", "OUTPUT", "POSTROUTING"];
/** BULK_CACHE_CHAINS is how many touched chains make an nft restore ask for one whole-table read. */
export const BULK_CACHE_CHAINS = 64;

/** renderContext builds the shared render inputs for a family. */
export function renderContext(cfg: ProxyConfig, family: Family, largeCluster: boolean): RenderContext {
  const mark = `0x${(1 << cfg.masqueradeBit).toString(16)}`;
  const localCIDR = cfg.clusterCIDRs.find((c) => c.includes(":") === (family === 6));
  return { cfg, family, masqMark: mark, largeCluster, localCIDR };
}

/** computeUpdates renders the ports of the given services in iptables form. */
export function computeUpdates(
  tracker: ServiceTracker,
  keys: Iterable<string>,
  ctx: RenderContext,
  portsByService: Map<string, string[]>,
  errors: string[],
): Updates<PortRules> {
  return computeGeneric(tracker, keys, ctx.family, ctx.cfg.nodeName, portsByService, errors, (sp, eps) => renderPort(sp, eps, ctx));
}

/** sliceEndpointCount counts endpoint × port pairs in a family's slices: what the rendered ports will count, before duplicates merge. */
function sliceEndpointCount(tracker: ServiceTracker, family: Family): number {
  const want = family === 4 ? "IPv4" : "IPv6";
  let total = 0;
  for (const m of tracker.slices.values())
    for (const sl of m.values()) if (sl.addressType === want) total += (sl.endpoints?.length ?? 0) * (sl.ports?.length ?? 0);
  return total;
}

/** renderedEndpoints counts the endpoints of rendered ports. */
function renderedEndpoints(rules: Iterable<PortRules | null>): number {
  let total = 0;
  for (const r of rules) total += r?.endpoints ?? 0;
  return total;
}

/** Rendered is one render of some services: their ports' rules, the ports per service, and the context used. */
interface Rendered {
  updates: Map<string, PortRules | null>;
  ports: Map<string, string[]>;
  ctx: RenderContext;
}

/**
 * renderEverything renders the given services in the large-cluster mode their slices suggest, so
 * a render of everything happens once; only when the rendered count disagrees (duplicates merged
 * across slices) does it render again in the other mode.
 */
function renderEverything(
  tracker: ServiceTracker,
  keys: Iterable<string>,
  cfg: ProxyConfig,
  family: Family,
  portsByService: Map<string, string[]>,
  errors: string[],
): Rendered {
  const guess = sliceEndpointCount(tracker, family) > LARGE_CLUSTER_ENDPOINTS;
  const ctx = renderContext(cfg, family, guess);
  const first = computeUpdates(tracker, keys, ctx, portsByService, errors);
  if (renderedEndpoints(first.updates.values()) > LARGE_CLUSTER_ENDPOINTS === guess) return { ...first, ctx };
  errors.length = 0;
  const other = renderContext(cfg, family, !guess);
  return { ...computeUpdates(tracker, keys, other, portsByService, errors), ctx: other };
}

/** IptablesProxier syncs one family's rules in one network namespace. */
export class IptablesProxier {
  readonly ruleset = new IptablesRuleset();
  readonly ipt: IptablesNode;
  private portsByService = new Map<string, string[]>();
  private largeCluster = false;
  private needFull = true;
  private rendered = false;

  constructor(
    readonly tracker: ServiceTracker,
    readonly cfg: ProxyConfig,
    readonly family: Family,
    readonly exec: Executor,
    readonly netns: NetnsRef,
    flavour: Flavour,
    ipt?: IptablesNode,
  ) {
    this.ipt = ipt ?? new RealIptables(exec, netns, flavour, family);
  }

  /** appliedPorts are the ports as last programmed (health checks and metrics read them). */
  appliedPorts(): Iterable<AppliedPort> {
    return this.ruleset.applied().values();
  }

  /** forceFullSync makes the next sync a full one. */
  forceFullSync(): void {
    this.needFull = true;
  }

  /** pendingFull is true while a full sync is owed (first sync, flush, failed restore). */
  get pendingFull(): boolean {
    return this.needFull;
  }

  /** checkCanaries returns false (and schedules a full sync) when the tables were flushed. */
  async checkCanaries(): Promise<boolean> {
    const ok = await canariesIntact(this.ipt);
    if (!ok) this.needFull = true;
    return ok;
  }

  /** totalEndpoints counts the endpoints the ruleset will hold once the updates are applied. */
  private totalEndpoints(updates: Map<string, PortRules | null>): number {
    let total = renderedEndpoints(updates.values());
    for (const [k, r] of this.ruleset.applied()) if (!updates.has(k)) total += r.endpoints;
    return total;
  }

  /**
   * plan computes the next transaction without applying it. Only changed services are rendered
   * again, also for a full sync (renders are pure, so an unchanged service's applied rules are its
   * rules); everything is rendered on the first sync and when large-cluster mode flips.
   */
  plan(
    full: boolean,
    existing?: string[],
    renderAll = !this.rendered,
    extra?: JumpSteps,
  ): { plan: SyncPlan; ports: Map<string, string[]>; changed: number; errors: string[] } {
    const errors: string[] = [];
    const dirty = this.tracker.takeDirty(`ipv${this.family}`);
    const keys = renderAll ? new Set([...this.tracker.services.keys(), ...this.portsByService.keys()]) : dirty;
    let rendered: Rendered;
    if (renderAll) rendered = renderEverything(this.tracker, keys, this.cfg, this.family, this.portsByService, errors);
    else {
      const ctx = renderContext(this.cfg, this.family, this.largeCluster);
      rendered = { ...computeUpdates(this.tracker, keys, ctx, this.portsByService, errors), ctx };
      if (this.totalEndpoints(rendered.updates) > LARGE_CLUSTER_ENDPOINTS !== this.largeCluster)
        return this.planModeSwitch(dirty, existing, extra);
    }
    const { updates, ports, ctx } = rendered;
    this.largeCluster = ctx.largeCluster;
    const bulkCache = this.ipt.flavour === "nft" ? (n: number) => n > BULK_CACHE_CHAINS : undefined;
    const plan = this.ruleset.plan(updates, ctx, { full, existing, ...(bulkCache ? { bulkCache } : {}), ...(extra ? { extra } : {}) });
    return { plan, ports, changed: keys.size, errors };
  }

  private planModeSwitch(dirty: Set<string>, existing?: string[], extra?: JumpSteps) {
    for (const k of dirty) this.tracker.markDirty(k, `ipv${this.family}`);
    return this.plan(true, existing, true, extra);
  }

  /**
   * sync brings the namespace's rules up to date; full when asked, first, or after a flush. A full
   * sync reads the built-in chains before its restore and carries the missing jumps and the
   * canaries in the same transaction, so nothing lists the full table after it is loaded.
   */
  async sync(opts: { full?: boolean } = {}): Promise<SyncResult> {
    const full = opts.full === true || this.needFull;
    let iptablesMs = 0;
    let otherMs = 0;
    let t = performance.now();
    const listing = full ? await this.ipt.chains("nat", NAT_BUILTINS) : undefined;
    const existing = listing?.names.filter(isServiceChain);
    iptablesMs += performance.now() - t;
    t = performance.now();
    const extra = listing ? await this.fullSyncExtras(listing.rules) : undefined;
    otherMs += performance.now() - t;
    t = performance.now();
    const { plan, ports, changed, errors } = this.plan(full, existing, !this.rendered, extra);
    const computeMs = performance.now() - t;
    t = performance.now();
    try {
      await this.ipt.apply(plan.tx);
    } catch (e) {
      this.needFull = true;
      this.rendered = false;
      throw new ProxyError("sync", "iptables rules of node", this.cfg.nodeName, e);
    }
    iptablesMs += performance.now() - t;
    t = performance.now();
    const before = this.ruleset.applied();
    const flows: ConntrackFlush[] = [];
    for (const k of plan.updated) flows.push(...staleFlows(before.get(k), plan.next.get(k) ?? null));
    this.ruleset.commit(plan);
    this.rendered = true;
    for (const [k, v] of ports)
      if (v.length) this.portsByService.set(k, v);
      else this.portsByService.delete(k);
    if (full) this.needFull = false;
    await flushConntrack(this.exec, this.netns, flows);
    return {
      full,
      services: this.tracker.services.size,
      changedServices: changed,
      written: plan.written,
      writtenCount: plan.writtenCount,
      deleted: plan.deleted,
      restoreBytes: plan.text.length,
      computeMs,
      iptablesMs,
      otherMs: otherMs + performance.now() - t,
      errors,
    };
  }

  /** fullSyncExtras reads which jumps to the chains a full sync writes are missing; the steps it returns add them and the canaries. */
  private fullSyncExtras(listed: Map<string, string[]>): Promise<JumpSteps> {
    const written = fullSyncChains(renderContext(this.cfg, this.family, false));
    return observeJumps(this.ipt, (table, chain) => written.has(`${table}/${chain}`), { canaries: true, listed });
  }
}

/** renderFullSync returns the iptables-restore input of a full sync, touching nothing (`podnet render proxy`). */
export function renderFullSync(tracker: ServiceTracker, cfg: ProxyConfig, family: Family): { text: string; errors: string[] } {
  const errors: string[] = [];
  const { updates, ctx } = renderEverything(tracker, [...tracker.services.keys()], cfg, family, new Map(), errors);
  return { text: new IptablesRuleset().plan(updates, ctx, { full: true }).text, errors };
}
