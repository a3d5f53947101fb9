/**
 * NftablesProxier: one IP family's sync in kube-proxy's nftables layout. A full sync (the first,
 * periodic ones, after the table vanished) writes the static part, every chain and every element;
 * a partial sync re-renders only changed services and sends only what differs: map and set
 * elements one by one, a chain only when its text changed. Chains no port uses any more are
 * flushed at once and deleted a second later (a kernel before 6.2 notices late that a map element
 * no longer points at a chain), as kube-proxy does. One `nft -f` per sync: all or nothing.
 */
import type { Executor, NetnsRef } from "../../exec/types.js";
import { type ConntrackFlush, flushConntrack, type NftNode, type NftOp, NftTransaction, RealNft } from "../../netfilter/index.js";
import type { AppliedPort } from "../categorize.js";
import { staleFlows } from "../conntrack.js";
import type { ServiceTracker } from "../tracker.js";
import { type Family, type ProxyConfig, ProxyError, type SyncResult } from "../types.js";
import { computeUpdates } from "../updates.js";
import { ElementTable } from "./elements.js";
import { isAffinitySet, isNftServiceChain } from "./names.js";
import { type NftPortRules, type NftRenderContext, type NftRule, renderNftPort } from "./render.js";
import { setupOps, TABLE } from "./setup.js";

/** STALE_CHAIN_DELAY_MS is how long a flushed chain waits before it is deleted. */
export const STALE_CHAIN_DELAY_MS = 1000;

/** NftProxyOptions are the nftables mode's own flags. */
export interface NftProxyOptions {
  /** serviceCIDRs (--service-cidr): traffic to an unallocated ClusterIP in them is dropped. */
  serviceCIDRs: string[];
  /** nodePortIPs are the addresses NodePorts answer on in this family, or "all". */
  nodePortIPs: string[] | "all";
}

const ruleText = (rules: NftRule[] | undefined) => (rules ? rules.map((r) => `${r.rule}#${r.comment ?? ""}`).join("\n") : undefined);

/** PortView is the ports as a plan leaves them: the applied ones with the plan's updates laid over, copied only on commit. */
class PortView {
  constructor(
    private readonly base: Map<string, NftPortRules>,
    private readonly updates: Map<string, NftPortRules | null>,
  ) {}

  get(k: string): NftPortRules | undefined {
    return this.updates.has(k) ? (this.updates.get(k) ?? undefined) : this.base.get(k);
  }

  *keys(): Iterable<string> {
    for (const k of this.base.keys()) if (!this.updates.has(k) || this.updates.get(k)) yield k;
    for (const [k, v] of this.updates) if (v && !this.base.has(k)) yield k;
  }

  *values(): Iterable<NftPortRules> {
    for (const k of this.keys()) yield this.get(k) as NftPortRules;
  }

  /** commit lays the updates into the base map. */
  commit(): void {
    for (const [k, v] of this.updates) {
      if (v) this.base.set(k, v);
      else this.base.delete(k);
    }
  }
}

/** NftablesProxier syncs one family's table in one network namespace. */
export class NftablesProxier {
  readonly nft: NftNode;
  private applied = new Map<string, NftPortRules>();
  private portsByService = new Map<string, string[]>();
  private elements = new ElementTable();
  private readonly stale = new Map<string, number>();
  private needFull = true;
  private recreated = false;

  constructor(
    readonly tracker: ServiceTracker,
    readonly cfg: ProxyConfig,
    readonly family: Family,
    readonly opts: NftProxyOptions,
    readonly exec: Executor,
    readonly netns: NetnsRef,
    nft?: NftNode,
  ) {
    this.nft = nft ?? new RealNft(exec, netns);
  }

  private get nftFamily() {
    return this.family === 6 ? "ip6" : "ip";
  }

  /** pendingFull is true while a full sync is owed (first sync, table gone, failed transaction). */
  get pendingFull(): boolean {
    return this.needFull;
  }

  /** appliedPorts are the ports as last programmed (health checks and metrics read them). */
  appliedPorts(): Iterable<AppliedPort> {
    return this.applied.values();
  }

  /** checkCanaries returns false (and schedules a full sync) when the table or its dispatch chain is gone. */
  async checkCanaries(): Promise<boolean> {
    const ok = await this.nft.hasChain(this.nftFamily, TABLE, "services");
    if (!ok) this.needFull = true;
    return ok;
  }

  private ctx(): NftRenderContext {
    return {
      cfg: this.cfg,
      family: this.family,
      masqMark: `0x${(1 << this.cfg.masqueradeBit).toString(16)}`,
      localCIDR: this.cfg.clusterCIDRs.find((c) => c.includes(":") === (this.family === 6)),
    };
  }

  /** plan computes the next transaction; `existing` is the table's listing on a full sync. */
  plan(full: boolean, existing?: { chains: string[]; sets: string[] }, now = Date.now()) {
    const errors: string[] = [];
    const dirty = this.tracker.takeDirty(`nft${this.family}`);
    const keys = full ? new Set([...this.tracker.services.keys(), ...this.portsByService.keys()]) : dirty;
    const ctx = this.ctx();
    const { updates, ports } = computeUpdates(this.tracker, keys, this.family, this.cfg.nodeName, this.portsByService, errors, (sp, eps) =>
      renderNftPort(sp, eps, ctx),
    );
    const next = new PortView(this.applied, updates);
    const tx = new NftTransaction(this.nftFamily, TABLE);
    if (full)
      tx.add(
        ...setupOps(
          { family: this.family, masqMark: ctx.masqMark, serviceCIDRs: this.opts.serviceCIDRs, nodePortIPs: this.opts.nodePortIPs },
          !this.recreated,
        ),
      );
    const scope = full ? [...next.keys()] : [...updates.keys()];
    const written = this.writeChains(tx, scope, next, full);
    const elements = full ? ElementTable.fill([...next.values()].flatMap((r) => r.elements)) : undefined;
    const diff = elements
      ? undefined
      : this.elements.diff(scope.map((k) => ({ before: this.applied.get(k)?.elements ?? [], after: next.get(k)?.elements ?? [] })));
    const elementOps = elements?.ops ?? diff?.ops ?? [];
    tx.add(...elementOps);
    const staleNow = this.staleObjects(tx, scope, next, existing, now);
    return {
      tx,
      updates,
      ports,
      next,
      written,
      elementOps: elementOps.length,
      flushed: staleNow,
      errors,
      changed: keys.size,
      commit: () => {
        if (elements) this.elements = elements.table;
        else diff?.commit();
      },
    };
  }

  /** writeChains adds the scope's chains whose text changed (all on a full sync): every add first, so gotos resolve, then each chain's rules. */
  private writeChains(tx: NftTransaction, scope: string[], next: PortView, full: boolean): string[] {
    const written: [string, NftRule[]][] = [];
    const sets: NftOp[] = [];
    for (const k of scope) {
      const r = next.get(k);
      if (!r) continue;
      const before = new Map(this.applied.get(k)?.chains ?? []);
      const hadSets = new Set((this.applied.get(k)?.affinity ?? []).map(([n]) => n));
      for (const [name, timeoutS] of r.affinity)
        if (full || !hadSets.has(name))
          sets.push({
            verb: "add-container",
            kind: "set",
            name,
            type: this.family === 6 ? "ipv6_addr" : "ipv4_addr",
            flags: ["dynamic", "timeout"],
            timeoutS,
          });
      for (const [name, rules] of r.chains) if (full || ruleText(before.get(name)) !== ruleText(rules)) written.push([name, rules]);
    }
    tx.add(...sets);
    for (const [name] of written) tx.add({ verb: "add-chain", name });
    for (const [name, rules] of written) {
      tx.add({ verb: "flush-chain", name });
      for (const r of rules) tx.add({ verb: "add-rule", chain: name, rule: r.rule, ...(r.comment ? { comment: r.comment } : {}) });
    }
    for (const [name] of written) this.stale.delete(name);
    return written.map(([n]) => n);
  }

  /** staleObjects flushes chains no port uses (deleted later) and deletes unused affinity sets; it returns the chains flushed. */
  private staleObjects(
    tx: NftTransaction,
    scope: string[],
    next: PortView,
    existing: { chains: string[]; sets: string[] } | undefined,
    now: number,
  ): string[] {
    const chainsOf = (r: NftPortRules | undefined) => (r?.chains ?? []).map(([n]) => n);
    const setsOf = (r: NftPortRules | undefined) => (r?.affinity ?? []).map(([n]) => n);
    let oldChains: string[];
    let oldSets: string[];
    let active: Set<string>;
    let activeSets: Set<string>;
    if (existing) {
      oldChains = existing.chains.filter(isNftServiceChain);
      oldSets = existing.sets.filter(isAffinitySet);
      active = new Set([...next.values()].flatMap(chainsOf));
      activeSets = new Set([...next.values()].flatMap(setsOf));
    } else {
      oldChains = scope.flatMap((k) => chainsOf(this.applied.get(k)));
      oldSets = scope.flatMap((k) => setsOf(this.applied.get(k)));
      active = new Set(scope.flatMap((k) => chainsOf(next.get(k))));
      activeSets = new Set(scope.flatMap((k) => setsOf(next.get(k))));
    }
    const flushed: string[] = [];
    for (const c of oldChains)
      if (!active.has(c) && !(existing && this.stale.has(c))) {
        tx.add({ verb: "flush-chain", name: c });
        this.stale.set(c, now);
        flushed.push(c);
      }
    for (const s of oldSets) if (!activeSets.has(s)) tx.add({ verb: "delete-container", kind: "set", name: s });
    return flushed;
  }

  /** deleteStale deletes the chains flushed at least STALE_CHAIN_DELAY_MS ago, in their own transaction. */
  private async deleteStale(now: number): Promise<string[]> {
    const due = [...this.stale].filter(([, t]) => now - t >= STALE_CHAIN_DELAY_MS).map(([c]) => c);
    if (due.length === 0) return [];
    for (const c of due) this.stale.delete(c);
    const tx = new NftTransaction(this.nftFamily, TABLE).add(...due.map((name): NftOp => ({ verb: "delete-chain", name })));
    // A chain that is still there is found again by the next full sync, flushed and retried.
    await this.nft.apply(tx).catch(() => undefined);
    return due;
  }

  /** staleCount is how many flushed chains wait for deletion. */
  get staleCount(): number {
    return this.stale.size;
  }

  /** sync brings the family's table up to date. */
  async sync(opts: { full?: boolean } = {}): Promise<SyncResult> {
    const full = opts.full === true || this.needFull;
    let t = performance.now();
    const deleted = await this.deleteStale(Date.now());
    const existing = full ? await this.nft.list(this.nftFamily, TABLE) : undefined;
    let nftMs = performance.now() - t;
    t = performance.now();
    const p = this.plan(full, existing ?? (full ? { chains: [], sets: [] } : undefined));
    const text = p.tx.render();
    const computeMs = performance.now() - t;
    t = performance.now();
    try {
      if (!p.tx.empty) await this.nft.apply(p.tx);
    } catch (e) {
      this.needFull = true;
      throw new ProxyError("sync", "nftables rules of node", this.cfg.nodeName, e);
    }
    nftMs += performance.now() - t;
    t = performance.now();
    const flows: ConntrackFlush[] = [];
    for (const k of p.updates.keys()) flows.push(...staleFlows(this.applied.get(k), p.next.get(k) ?? null));
    p.commit();
    p.next.commit();
    for (const [k, v] of p.ports) {
      if (v.length) this.portsByService.set(k, v);
      else this.portsByService.delete(k);
    }
    if (full) {
      this.needFull = false;
      this.recreated = true;
    }
    await flushConntrack(this.exec, this.netns, flows);
    return {
      full,
      services: this.tracker.services.size,
      changedServices: p.changed,
      written: full ? [] : p.written,
      writtenCount: p.written.length,
      deleted,
      restoreBytes: text.length,
      computeMs,
      iptablesMs: nftMs,
      otherMs: performance.now() - t,
      errors: p.errors,
      elementChanges: p.elementOps,
      flushed: p.flushed,
    };
  }
}

/** renderNftFullSync returns the `nft -f` input of a full sync, touching nothing (`podnet render proxy --mode nftables`). */
export function renderNftFullSync(
  tracker: ServiceTracker,
  cfg: ProxyConfig,
  family: Family,
  opts: NftProxyOptions,
): { text: string; errors: string[] } {
  const none: NftNode = { apply: async () => {}, list: async () => undefined, hasChain: async () => false };
  const p = new NftablesProxier(tracker, cfg, family, opts, undefined as unknown as Executor, null, none).plan(true, {
    chains: [],
    sets: [],
  });
  return { text: p.tx.render(), errors: p.errors };
}
