/**
 * TcNode is one namespace's traffic control: read the devices' roots, clsact and podnet's filters,
 * and apply a transaction with one `tc -batch -`. RealTc runs tc through the executor, starting
 * the batch processes before their input is known (a process start costs more than the work);
 * FakeTc (fake.ts) keeps the same state in memory.
 */
import { startEarly } from "../exec/early.js";
import type { CommandResult, EarlyCommand, Executor, NetnsRef } from "../exec/types.js";
import { toolFailure } from "../exec/types.js";
import { parseHookFilter, parseJsonSeq, parseQdiscs, type RawFilter, type RawQdisc } from "./parse.js";
import type { TcTransaction } from "./transaction.js";
import { TC_HOOKS, TcError, type TcState } from "./types.js";

/** TcNode reads and changes one namespace's traffic control. */
export interface TcNode {
  /** state reads every device's root and clsact, and the filters of every device with a clsact. */
  state(): Promise<TcState>;
  /** apply runs the transaction as one batch; nothing when it is empty. */
  apply(tx: TcTransaction): Promise<void>;
  /** prepare starts the next apply's process now; release ends it if no apply came. */
  prepare?(): void;
  release?(): void;
}

/** RealTc runs `tc` in one namespace. */
export class RealTc implements TcNode {
  constructor(
    readonly exec: Executor,
    readonly netns: NetnsRef,
  ) {}

  private spare: EarlyCommand | undefined;

  async state(): Promise<TcState> {
    const filters = startEarly(this.exec, { argv: ["tc", "-j", "-batch", "-"], netns: this.netns, timeoutMs: 60_000 });
    let state: TcState;
    try {
      const q = await this.run(["tc", "-j", "qdisc", "show"]);
      state = parseQdiscs(JSON.parse(q.stdout || "[]") as RawQdisc[]);
    } catch (e) {
      filters.cancel();
      throw e;
    }
    const withFilters = [...state].filter(([, s]) => s.clsact).map(([d]) => d);
    if (withFilters.length === 0) {
      filters.cancel();
      return state;
    }
    const lines = withFilters.flatMap((d) => TC_HOOKS.map((h) => `filter show dev ${d} ${h}\n`));
    const r = await this.wrap(["tc", "-j", "-batch", "-"], filters.feed(lines.join("")));
    const arrays = parseJsonSeq(r.stdout);
    if (arrays.length !== lines.length) throw new TcError(`failed to read tc filters: ${arrays.length} answers to ${lines.length} queries`);
    withFilters.forEach((d, i) => {
      const dev = state.get(d);
      if (!dev) return;
      TC_HOOKS.forEach((h, j) => {
        const acts = parseHookFilter(arrays[i * TC_HOOKS.length + j] as RawFilter[], h);
        if (acts) dev.filters[h] = acts;
      });
    });
    return state;
  }

  async apply(tx: TcTransaction): Promise<void> {
    if (tx.empty) return;
    const argv = ["tc", "-batch", "-"];
    const started = this.spare?.waiting() ? this.spare : undefined;
    this.spare = undefined;
    await (started ? this.wrap(argv, started.feed(tx.render())) : this.run(argv, tx.render()));
  }

  prepare(): void {
    this.release();
    this.spare = startEarly(this.exec, { argv: ["tc", "-batch", "-"], netns: this.netns, timeoutMs: 60_000 });
  }

  release(): void {
    this.spare?.cancel();
    this.spare = undefined;
  }

  private run(argv: string[], stdin?: string): Promise<CommandResult> {
    return this.wrap(argv, this.exec.run({ argv, netns: this.netns, ...(stdin === undefined ? {} : { stdin }), timeoutMs: 60_000 }));
  }

  private async wrap(argv: string[], running: Promise<CommandResult>): Promise<CommandResult> {
    try {
      return await running;
    } catch (e) {
      const { where, why, stderr } = toolFailure(e, this.netns);
      throw new TcError(`failed to run ${argv.join(" ")}${where}: ${why}`, { cause: e, stderr });
    }
  }
}
