/**
 * PolicyEngine keeps one node's policy rules in step with the cluster, as felix does: each sync
 * compiles the desired state of every family, plans against what it last applied (or, on a full
 * sync, against what the kernel shows), and applies all families in one node transaction. Group
 * numbers are read back from the kernel's dispatch chains, so a restart rewrites nothing.
 */
import type { NodeKernel } from "../dataplane/index.js";
import { NodeTransaction } from "../dataplane/index.js";
import { jumpLine, splitArgs, type Table } from "../netfilter/index.js";
import type { ClusterView } from "./cluster.js";
import { type Compiled, compileNode, type Gids, type PolicyState } from "./compile.js";
import { EGRESS_SHIFT } from "./marks.js";
import { SetMemo } from "./memo.js";
import { JUMPS, type Observed, planPolicy } from "./plan.js";
import { SET_PREFIX } from "./sets.js";

/** EngineOptions configure a node's policy engine. */
export interface EngineOptions {
  node: string;
  families: (4 | 6)[];
  deny: "drop" | "reject";
  nflogGroup: number;
}

/** SyncResult says what one sync did. */
export interface SyncResult {
  full: boolean;
  /** changes counts the steps applied (0: the kernel already matched). */
  changes: number;
  /** computeMs is podnet's own time: compile, plan and render (not reading the kernel, not the restores). */
  computeMs: number;
  /** applyMs is the time of the ipset and iptables restores. */
  applyMs: number;
}

/** PolicyEngine syncs a node's policy rules. */
export class PolicyEngine {
  private readonly applied = new Map<4 | 6, Observed>();
  private readonly memos = new Map<4 | 6, SetMemo>();

  constructor(
    private readonly kernel: NodeKernel,
    private readonly opts: EngineOptions,
  ) {}

  /** sync brings the node to the view; full re-reads the kernel first (at start, and now and then against drift). */
  async sync(view: ClusterView, full = false): Promise<SyncResult> {
    const t0 = performance.now();
    const tx = new NodeTransaction();
    const next = new Map<4 | 6, Observed>();
    let observeMs = 0;
    for (const family of this.opts.families) {
      let cur = full ? undefined : this.applied.get(family);
      if (!cur) {
        const o0 = performance.now();
        cur = await this.observe(family);
        observeMs += performance.now() - o0;
      }
      const desired = this.compile(view, family, cur);
      tx.append(planPolicy(desired, cur, family));
      next.set(family, { sets: desired.sets, chains: desired.chains, builtins: jumpsFirst(), gids: desired.gids });
    }
    tx.render(); // rendered now (the transactions keep the text), so computeMs holds it and applyMs only the restores
    const t1 = performance.now();
    try {
      if (!tx.empty) await this.kernel.apply(tx);
    } catch (e) {
      this.applied.clear();
      throw e;
    }
    for (const [f, s] of next) this.applied.set(f, s);
    return { full: full || observeMs > 0, changes: tx.size, computeMs: t1 - t0 - observeMs, applyMs: performance.now() - t1 };
  }

  /** jumpsFirst says whether each of our jumps is still the first rule of its built-in chain (kube-proxy prepends its own). */
  async jumpsFirst(): Promise<boolean> {
    for (const family of this.opts.families) {
      const ipt = this.kernel.iptables(family);
      const heads = await Promise.all(JUMPS.map(async (j) => (await ipt.list(j.table, j.from))?.[0] === jumpLine(j)));
      if (heads.includes(false)) return false;
    }
    return true;
  }

  /** compile computes one family's desired state, keeping the group numbers the current state uses. */
  compile(view: ClusterView, family: 4 | 6, current?: Observed): Compiled {
    let memo = this.memos.get(family);
    if (!memo) this.memos.set(family, (memo = new SetMemo(family)));
    const previous = current && (current.gids ?? gidsOf(current));
    return compileNode(view, { ...this.opts, family, memo, ...(previous ? { previous } : {}) });
  }

  /** observe reads one family's policy chains, jumps and sets from the kernel. */
  async observe(family: 4 | 6): Promise<Observed> {
    const ipt = this.kernel.iptables(family);
    const chains = new Map<string, string[]>();
    const builtins = new Map<string, string[]>();
    for (const table of ["mangle", "filter"] as Table[]) {
      for (const line of (await ipt.save(table)).split("\n")) {
        if (line.startsWith(":PODNET-")) chains.set(`${table}/${line.slice(1, line.indexOf(" "))}`, []);
        else if (line.startsWith("-A ")) {
          const sp = line.indexOf(" ", 3);
          const chain = line.slice(3, sp);
          const key = `${table}/${chain}`;
          if (chain.startsWith("PODNET-")) chains.get(key)?.push(line.slice(sp + 1));
          else if (chain === "FORWARD" || chain === "INPUT") builtins.set(key, [...(builtins.get(key) ?? []), line]);
        }
      }
    }
    const sets = await this.kernel.ipset.sets(`${SET_PREFIX}${family}-`);
    return { chains, builtins, sets };
  }
}

function jumpsFirst(): Map<string, string[]> {
  return new Map(JUMPS.map((j) => [`${j.table}/${j.from}`, [jumpLine(j)]]));
}

/** gidsOf reads group numbers from the dispatch chains' leaves (`-m mark --mark V/M -g PODNET-G?-…`). */
export function gidsOf(state: PolicyState): Gids {
  const out: Gids = { ingress: new Map(), egress: new Map() };
  for (const [key, rules] of state.chains) {
    if (!key.startsWith("filter/PODNET-INGRESS") && !key.startsWith("filter/PODNET-EGRESS")) continue;
    for (const r of rules) {
      const a = splitArgs(r);
      const g = a[a.indexOf("-g") + 1];
      const v = a[a.indexOf("--mark") + 1];
      if (!g || !v || !a.includes("-g") || !a.includes("--mark")) continue;
      const value = Number.parseInt(v.split("/")[0] ?? "", 16);
      if (g.startsWith("PODNET-GI-")) out.ingress.set(g, value);
      else if (g.startsWith("PODNET-GE-")) out.egress.set(g, value >>> EGRESS_SHIFT);
    }
  }
  return out;
}
