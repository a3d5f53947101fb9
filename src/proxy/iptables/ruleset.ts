/**
 * The whole iptables ruleset of one IP family, kept as per-port pieces so a sync can write only
 * what changed (KEP-3453's partial sync, taken further: shared chains such as KUBE-SERVICES are
 * rewritten only when a port's lines in them changed). `plan` is pure; `commit` adopts a plan once
 * iptables-restore accepted it, so a failed restore leaves the last good state in place.
 */
import { chainRules, comment, IptablesTransaction, type RuleText, type Table } from "../../netfilter/index.js";
import { NFACCT_INVALID, type PortRules, type RenderContext, type TopChain } from "./render.js";

/** TOP_CHAINS are the shared chains podnet fills from every port, in restore order per table. */
export const TOP_CHAINS: readonly TopChain[] = [
  "filter/KUBE-SERVICES",
  "filter/KUBE-EXTERNAL-SERVICES",
  "filter/KUBE-NODEPORTS",
  "filter/KUBE-PROXY-FIREWALL",
  "nat/KUBE-SERVICES",
  "nat/KUBE-NODEPORTS",
];

/** SyncPlan is one iptables-restore transaction and the state it leads to. */
export interface SyncPlan {
  tx: IptablesTransaction;
  /** text is the transaction's restore input, rendered once; empty when nothing needs writing. */
  text: string;
  full: boolean;
  /**
   * written lists `table/chain` of the chains the transaction (re)writes; a full sync lists only
   * the shared and static chains, not every service's own (tens of thousands in a large cluster).
   */
  written: string[];
  /** writtenCount counts every chain the transaction (re)writes. */
  writtenCount: number;
  /** deleted lists the nat chains the transaction removes. */
  deleted: string[];
  readonly next: Map<string, PortRules>;
  readonly nextText: Map<string, string>;
  readonly keys: string[];
  /** updated lists the ports the plan re-rendered (added, changed or removed). */
  readonly updated: string[];
}

/** PlanOptions steer one plan. */
export interface PlanOptions {
  full: boolean;
  /** existing are service chains found in the kernel; on a full sync the ones no port owns are removed. */
  existing?: Iterable<string>;
  /** bulkCache adds `-Z` to the nat section so iptables-nft-restore reads the table once, not once per chain. */
  bulkCache?: (chainsTouched: number) => boolean;
  /** extra adds steps after podnet's chains (canaries, jumps from built-in chains). */
  extra?: (tx: IptablesTransaction) => void;
}

/** staticChains returns the chains whose content does not depend on services, keyed `table/chain`. */
export function staticChains(ctx: RenderContext): Map<string, RuleText> {
  const m = ctx.masqMark;
  const out = new Map<string, RuleText>();
  out.set(
    "nat/KUBE-POSTROUTING",
    chainRules("KUBE-POSTROUTING", [
      `-m mark ! --mark ${m}/${m} -j RETURN`,
      `-j MARK --xor-mark ${m}`,
      `${comment("kubernetes service traffic requiring SNAT")} -j MASQUERADE --random-fully`,
    ]),
  );
  out.set("nat/KUBE-MARK-MASQ", chainRules("KUBE-MARK-MASQ", [`-j MARK --or-mark ${m}`]));
  const fwd: string[] = [];
  if (!ctx.cfg.conntrackTCPLiberal)
    fwd.push(`-m conntrack --ctstate INVALID${ctx.cfg.nfacct ? ` -m nfacct --nfacct-name ${NFACCT_INVALID}` : ""} -j DROP`);
  fwd.push(`${comment("kubernetes forwarding rules")} -m mark --mark ${m}/${m} -j ACCEPT`);
  fwd.push(`${comment("kubernetes forwarding conntrack rule")} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
  out.set("filter/KUBE-FORWARD", chainRules("KUBE-FORWARD", fwd));
  if (ctx.family === 4 && ctx.cfg.localhostNodePorts)
    out.set(
      "filter/KUBE-FIREWALL",
      chainRules("KUBE-FIREWALL", [
        `${comment("block incoming localnet connections")} -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
      ]),
    );
  return out;
}

/** fullSyncChains names (`table/chain`) the static and shared chains every full sync writes. */
export function fullSyncChains(ctx: RenderContext): Set<string> {
  return new Set<string>([...staticChains(ctx).keys(), ...TOP_CHAINS]);
}

/** nodePortsJump is KUBE-SERVICES' last rule, sending local destinations to KUBE-NODEPORTS. */
export function nodePortsJump(ctx: RenderContext): RuleText {
  const dst = ctx.family === 6 ? " ! -d ::1/128" : ctx.cfg.localhostNodePorts ? "" : " ! -d 127.0.0.0/8";
  return chainRules("KUBE-SERVICES", [
    `${comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain")} -m addrtype --dst-type LOCAL${dst} -j KUBE-NODEPORTS`,
  ]);
}

const joined = (lines: string[] | undefined): string => (lines ? lines.join("\n") : "");

/** IptablesRuleset is the applied state of one family's ruleset. */
export class IptablesRuleset {
  private ports = new Map<string, PortRules>();
  private text = new Map<string, string>();
  private sortedKeys: string[] = [];

  /** applied returns the applied rules of every port. */
  applied(): ReadonlyMap<string, PortRules> {
    return this.ports;
  }

  /** plan computes the transaction that brings the kernel from the applied state to the updated one. */
  plan(updates: Map<string, PortRules | null>, ctx: RenderContext, opts: PlanOptions): SyncPlan {
    const next = new Map(this.ports);
    let keysChanged = false;
    for (const [k, r] of updates) {
      if (r === null) keysChanged = next.delete(k) || keysChanged;
      else {
        keysChanged ||= !next.has(k);
        next.set(k, r);
      }
    }
    const keys = keysChanged ? [...next.keys()].sort() : this.sortedKeys;
    const nextText = new Map(this.text);
    const writes = new Map<string, string>();
    const write = (chain: string, text: string) => {
      if (opts.full || this.text.get(chain) !== text) writes.set(chain, text);
      nextText.set(chain, text);
    };

    for (const [chain, text] of staticChains(ctx)) write(chain, text);
    for (const [chain, text] of this.sharedChains(updates, next, keys, ctx, opts.full)) write(chain, text);

    const own = opts.full ? this.allChains(next, opts.existing) : this.changedChains(updates);
    const touched = writes.size + own.names.length + own.deleted.length;
    const tx = restoreTransaction(ctx.family, writes, own, opts.bulkCache?.(touched) ?? false);
    opts.extra?.(tx);
    const text = tx.render();
    const written = [...writes.keys()];
    if (!opts.full) for (const n of own.names) written.push(`nat/${n}`);
    return {
      tx,
      text,
      full: opts.full,
      written,
      writtenCount: writes.size + own.names.length,
      deleted: own.deleted,
      next,
      nextText,
      keys,
      updated: [...updates.keys()],
    };
  }

  /**
   * sharedChains renders the shared chains a plan must write: all of them on a full sync, else those
   * in which an updated port's lines changed, each filled in one pass over the ports in key order.
   */
  private sharedChains(
    updates: Map<string, PortRules | null>,
    next: Map<string, PortRules>,
    keys: string[],
    ctx: RenderContext,
    full: boolean,
  ): [TopChain, string][] {
    const dirty = TOP_CHAINS.filter(
      (top) =>
        full ||
        !this.text.has(top) ||
        [...updates].some(([k, r]) => joined(this.ports.get(k)?.top[top]) !== joined(r?.top[top] ?? undefined)),
    );
    if (dirty.length === 0) return [];
    const lines = new Map<TopChain, string[]>(dirty.map((t) => [t, []]));
    for (const k of keys) {
      const top = next.get(k)?.top;
      if (top) for (const chain in top) for (const l of top[chain as TopChain] ?? []) lines.get(chain as TopChain)?.push(l);
    }
    lines.get("nat/KUBE-SERVICES")?.push(nodePortsJump(ctx));
    return dirty.map((t) => [t, (lines.get(t) as string[]).join("\n")]);
  }

  /** allChains writes every port's chains and deletes the ones no port owns any more (in the applied state or the kernel). */
  private allChains(next: Map<string, PortRules>, existing: Iterable<string> = []): OwnChains {
    const own: OwnChains = { names: [], texts: [], deleted: [] };
    for (const r of next.values())
      for (const c of r.chains) {
        own.names.push(c[0]);
        if (c[1]) own.texts.push(c[1]);
      }
    const candidates = [...existing];
    for (const r of this.ports.values()) for (const [n] of r.chains) candidates.push(n);
    if (candidates.length === 0) return own;
    const live = new Set(own.names);
    own.deleted = [...new Set(candidates.filter((n) => !live.has(n)))];
    return own;
  }

  /** changedChains writes the chains whose text changed and deletes the ones their port dropped. */
  private changedChains(updates: Map<string, PortRules | null>): OwnChains {
    const own: OwnChains = { names: [], texts: [], deleted: [] };
    const deleted = new Set<string>();
    for (const [k, r] of updates) {
      const before = new Map(this.ports.get(k)?.chains ?? []);
      const after = new Map(r?.chains ?? []);
      for (const [n, t] of after)
        if (before.get(n) !== t) {
          own.names.push(n);
          if (t) own.texts.push(t);
        }
      for (const n of before.keys()) if (!after.has(n)) deleted.add(n);
    }
    // A chain can move between ports only if two ports hash alike; never delete a chain still owned.
    for (const r of updates.values()) for (const [n] of r?.chains ?? []) deleted.delete(n);
    own.deleted = [...deleted];
    return own;
  }

  /** commit adopts a plan after iptables-restore accepted it. */
  commit(plan: SyncPlan): void {
    this.sortedKeys = plan.keys;
    this.ports = plan.next;
    this.text = plan.nextText;
  }
}

/** OwnChains are the per-port nat chains one transaction writes (names and their non-empty texts) and deletes. */
interface OwnChains {
  names: string[];
  texts: RuleText[];
  deleted: string[];
}

const TABLES: readonly Table[] = ["mangle", "filter", "nat"];

/** restoreTransaction writes the shared chains, then (nat) the ports' own chains, and deletes the stale ones. */
function restoreTransaction(family: 4 | 6, writes: Map<string, string>, own: OwnChains, bulkCache: boolean): IptablesTransaction {
  const tx = new IptablesTransaction(family);
  for (const table of TABLES) {
    const prefix = `${table}/`;
    const shared = [...writes.keys()].filter((c) => c.startsWith(prefix));
    const mine: OwnChains = table === "nat" ? own : { names: [], texts: [], deleted: [] };
    if (shared.length + mine.names.length + mine.deleted.length === 0) continue;
    const t = tx.table(table);
    if (table === "nat" && bulkCache) t.zeroCounters();
    t.declareAll(shared.map((c) => c.slice(prefix.length)));
    t.declareAll(mine.names);
    t.declareAll(mine.deleted);
    for (const c of shared) t.appendRules(writes.get(c) as RuleText);
    t.appendEach(mine.texts);
    t.deleteAll(mine.deleted);
  }
  return tx;
}
