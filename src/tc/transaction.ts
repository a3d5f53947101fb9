/**
 * TcTransaction collects traffic-control changes for one namespace in order, and renders them as
 * one `tc -batch -` input. Device names are checked here: they become words of that input.
 */
import { type TcAction, TcError, type TcHook, type Tbf } from "./types.js";

/** TcOp is one change. */
export type TcOp =
  | { verb: "replace-root"; dev: string; tbf: Tbf }
  | { verb: "del-root"; dev: string }
  | { verb: "add-clsact"; dev: string }
  | { verb: "del-clsact"; dev: string }
  | { verb: "set-filter"; dev: string; hook: TcHook; actions: TcAction[]; replacing: boolean }
  | { verb: "del-filter"; dev: string; hook: TcHook };

/** HOOK_PREF is each hook's filter priority: distinct, because u32 shares its tables between a clsact's hooks and dumps by priority. */
export const HOOK_PREF: Record<TcHook, number> = { ingress: 1, egress: 2 };

const DEV = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,14}$/;

function dev(name: string): string {
  if (!DEV.test(name)) throw new TcError(`failed to render tc change for device ${JSON.stringify(name)}: not an interface name`);
  return name;
}

function action(a: TcAction): string {
  return `action mirred egress ${a.mode} dev ${dev(a.to)}`;
}

function filterHead(o: { dev: string; hook: TcHook }): string {
  return `dev ${dev(o.dev)} ${o.hook} pref ${HOOK_PREF[o.hook]}`;
}

/** renderOp is one change as `tc -batch` lines. */
export function renderOp(op: TcOp): string[] {
  switch (op.verb) {
    case "replace-root": {
      const { rate, burst, latencyMs } = op.tbf;
      return [
        `qdisc replace dev ${dev(op.dev)} root handle 1: tbf rate ${Math.round(rate)}bit burst ${Math.round(burst)} latency ${latencyMs}ms`,
      ];
    }
    case "del-root":
      return [`qdisc del dev ${dev(op.dev)} root`];
    case "add-clsact":
      return [`qdisc add dev ${dev(op.dev)} clsact`];
    case "del-clsact":
      return [`qdisc del dev ${dev(op.dev)} clsact`];
    case "del-filter":
      return [`filter del ${filterHead(op)}`];
    case "set-filter":
      return [
        ...(op.replacing ? [`filter del ${filterHead(op)}`] : []),
        `filter add ${filterHead(op)} protocol all u32 match u32 0 0 ${op.actions.map(action).join(" ")}`,
      ];
  }
}

/** TcTransaction is an ordered list of tc changes for one namespace. */
export class TcTransaction {
  readonly ops: TcOp[] = [];

  /** replaceRoot makes a device's root a tbf with these settings (changed in place when it is one already). */
  replaceRoot(devName: string, tbf: Tbf): this {
    return this.push({ verb: "replace-root", dev: devName, tbf });
  }
  /** delRoot removes a device's root qdisc (back to the device's default). */
  delRoot(devName: string): this {
    return this.push({ verb: "del-root", dev: devName });
  }
  /** addClsact adds the clsact qdisc that holds ingress and egress filters. */
  addClsact(devName: string): this {
    return this.push({ verb: "add-clsact", dev: devName });
  }
  /** delClsact removes clsact and every filter on it. */
  delClsact(devName: string): this {
    return this.push({ verb: "del-clsact", dev: devName });
  }
  /** setFilter puts one match-all filter with these actions on a hook; replacing says one is there already. */
  setFilter(devName: string, hook: TcHook, actions: TcAction[], replacing: boolean): this {
    return this.push({ verb: "set-filter", dev: devName, hook, actions, replacing });
  }
  /** delFilter removes a hook's filter. */
  delFilter(devName: string, hook: TcHook): this {
    return this.push({ verb: "del-filter", dev: devName, hook });
  }
  /** append adds another transaction's changes after this one's. */
  append(other: TcTransaction): this {
    for (const op of other.ops) this.ops.push(op);
    return this;
  }
  /** render is the `tc -batch -` input. */
  render(): string {
    return this.ops
      .flatMap(renderOp)
      .map((l) => `${l}\n`)
      .join("");
  }
  /** size counts the changes. */
  get size(): number {
    return this.ops.length;
  }
  /** empty says whether there is nothing to do. */
  get empty(): boolean {
    return this.ops.length === 0;
  }

  private push(op: TcOp): this {
    this.ops.push(op);
    return this;
  }
}
