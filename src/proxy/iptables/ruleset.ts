/**
 * The whole iptables ruleset of one IP family, kept as per-port pieces so a sync can write only
 * what changed (KEP-3453's partial sync, taken further: shared chains such as KUBE-SERVICES are
 * rewritten only when a port's lines in them changed). `plan` is pure; `commit` adopts a plan once
 * iptables-restore accepted it, so a failed restore leaves the last good state in place.
 */
import type { PortRules, RenderContext, TopChain } from "./render.js";
import { comment } from "./render.js";

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
  /** text is the iptables-restore input; empty when nothing needs writing. */
  text: string;
  full: boolean;
  /** written lists `table/chain` of every chain the transaction (re)writes. */
  written: string[];
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
}

/** staticChains returns the chains whose content does not depend on services (plus KUBE-SERVICES' tail). */
export function staticChains(ctx: RenderContext): Map<string, string[]> {
  const m = ctx.masqMark;
  const out = new Map<string, string[]>();
  out.set("nat/KUBE-POSTROUTING", [
    `-A KUBE-POSTROUTING -m mark ! --mark ${m}/${m} -j RETURN`,
    `-A KUBE-POSTROUTING -j MARK --xor-mark ${m}`,
    `-A KUBE-POSTROUTING ${comment("kubernetes service traffic requiring SNAT")} -j MASQUERADE --random-fully`,
  ]);
  out.set("nat/KUBE-MARK-MASQ", [`-A KUBE-MARK-MASQ -j MARK --or-mark ${m}`]);
  const fwd: string[] = [];
  if (!ctx.cfg.conntrackTCPLiberal) fwd.push("-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP");
  fwd.push(`-A KUBE-FORWARD ${comment("kubernetes forwarding rules")} -m mark --mark ${m}/${m} -j ACCEPT`);
  fwd.push(`-A KUBE-FORWARD ${comment("kubernetes forwarding conntrack rule")} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
  out.set("filter/KUBE-FORWARD", fwd);
  if (ctx.family === 4 && ctx.cfg.localhostNodePorts)
    out.set("filter/KUBE-FIREWALL", [
      `-A KUBE-FIREWALL ${comment("block incoming localnet connections")} -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
    ]);
  return out;
}

/** nodePortsJump is KUBE-SERVICES' last rule, sending local destinations to KUBE-NODEPORTS. */
export function nodePortsJump(ctx: RenderContext): string {
  const dst =
    ctx.family === 6
      ? " ! -d ::1/128"
      : ctx.cfg.localhostNodePorts
        ? ""
        : " ! -d 127.0.0.0/8";
  return `-A KUBE-SERVICES ${comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain")} -m addrtype --dst-type LOCAL${dst} -j KUBE-NODEPORTS`;
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

    for (const [chain, lines] of staticChains(ctx)) write(chain, lines.join("\n"));
    for (const top of TOP_CHAINS) {
      const dirty =
        opts.full ||
        !this.text.has(top) ||
        [...updates].some(([k, r]) => joined(this.ports.get(k)?.top[top]) !== joined(r?.top[top] ?? undefined));
      if (!dirty) continue;
      const lines: string[] = [];
      for (const k of keys) {
        const l = next.get(k)?.top[top];
        if (l) for (const x of l) lines.push(x);
      }
      if (top === "nat/KUBE-SERVICES") lines.push(nodePortsJump(ctx));
      write(top, lines.join("\n"));
    }

    const deleted = new Set<string>();
    const portChains = (r: PortRules | null | undefined) => new Map(r?.chains ?? []);
    if (opts.full) {
      const live = new Set<string>();
      for (const r of next.values())
        for (const [n, t] of r.chains) {
          live.add(n);
          writes.set(`nat/${n}`, t);
        }
      for (const r of this.ports.values()) for (const [n] of r.chains) if (!live.has(n)) deleted.add(n);
      for (const n of opts.existing ?? []) if (!live.has(n)) deleted.add(n);
    } else {
      for (const [k, r] of updates) {
        const before = portChains(this.ports.get(k));
        const after = portChains(r);
        for (const [n, t] of after) if (before.get(n) !== t) writes.set(`nat/${n}`, t);
        for (const n of before.keys()) if (!after.has(n)) deleted.add(n);
      }
      // A chain can move between ports only if two ports hash alike; never delete a chain still owned.
      for (const r of updates.values()) for (const [n] of r?.chains ?? []) deleted.delete(n);
    }
    const touched = writes.size + deleted.size;
    const text = restoreText(writes, deleted, opts.bulkCache?.(touched) ?? false);
    return { text, full: opts.full, written: [...writes.keys()], deleted: [...deleted], next, nextText, keys, updated: [...updates.keys()] };
  }

  /** commit adopts a plan after iptables-restore accepted it. */
  commit(plan: SyncPlan): void {
    this.sortedKeys = plan.keys;
    this.ports = plan.next;
    this.text = plan.nextText;
  }

  /** hasChain tells whether the applied state has a static or shared chain (`table/chain`). */
  hasChain(chain: string): boolean {
    return this.text.has(chain);
  }
}

function restoreText(writes: Map<string, string>, deleted: Set<string>, bulkCache: boolean): string {
  const out: string[] = [];
  const byTable: Record<string, string[]> = { filter: [], nat: [] };
  for (const c of writes.keys()) byTable[c.slice(0, c.indexOf("/"))]?.push(c);
  for (const table of ["filter", "nat"]) {
    const chains = byTable[table] ?? [];
    const dels = table === "nat" ? [...deleted] : [];
    if (chains.length + dels.length === 0) continue;
    out.push(`*${table}`);
    if (table === "nat" && bulkCache) out.push("-Z");
    for (const c of chains) out.push(`:${c.slice(table.length + 1)} - [0:0]`);
    for (const d of dels) out.push(`:${d} - [0:0]`);
    for (const c of chains) {
      const t = writes.get(c) as string;
      if (t) out.push(t);
    }
    for (const d of dels) out.push(`-X ${d}`);
    out.push("COMMIT");
  }
  return out.length ? `${out.join("\n")}\n` : "";
}
