/** FakeTc: a namespace's traffic control in memory, refusing what the kernel refuses (a second clsact, deleting what is not there). */
import type { TcNode } from "./node.js";
import type { TcOp, TcTransaction } from "./transaction.js";
import { type DevTc, emptyDev, TcError, type TcState } from "./types.js";

/** FakeTc keeps devices' tc state; `applied` counts the non-empty transactions it took. */
export class FakeTc implements TcNode {
  readonly devs: TcState = new Map();
  applied = 0;

  async state(): Promise<TcState> {
    return structuredClone(this.devs);
  }

  async apply(tx: TcTransaction): Promise<void> {
    if (tx.empty) return;
    this.applied++;
    for (const op of tx.ops) this.step(op);
  }

  /** forget drops a device's state, as the kernel does when the device goes. */
  forget(dev: string): void {
    this.devs.delete(dev);
  }

  private dev(name: string): DevTc {
    const d = this.devs.get(name) ?? emptyDev();
    this.devs.set(name, d);
    return d;
  }

  private step(op: TcOp): void {
    const d = this.dev(op.dev);
    const fail = (why: string): never => {
      throw new TcError(`failed to apply tc change ${op.verb} on "${op.dev}": ${why}`, { stderr: why });
    };
    switch (op.verb) {
      case "replace-root":
        d.root = { ...op.tbf };
        return;
      case "del-root":
        if (d.root === undefined) fail("Cannot delete qdisc with handle of zero.");
        delete d.root;
        return;
      case "add-clsact":
        if (d.clsact) fail("Exclusivity flag on, cannot modify.");
        d.clsact = true;
        return;
      case "del-clsact":
        if (!d.clsact) fail("Cannot find specified qdisc on specified device.");
        d.clsact = false;
        d.filters = {};
        return;
      case "del-filter":
        if (!d.filters[op.hook]) fail("Filter with specified priority/protocol not found.");
        delete d.filters[op.hook];
        return;
      case "set-filter":
        if (!d.clsact) fail("Cannot find specified qdisc on specified device.");
        if (op.replacing !== (d.filters[op.hook] !== undefined)) fail(op.replacing ? "Filter not found." : "Filter already exists.");
        d.filters[op.hook] = structuredClone(op.actions);
        return;
    }
  }
}
