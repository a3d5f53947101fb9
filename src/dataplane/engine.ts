/**
 * The reconcile contract every data plane follows: observe what the kernel has, plan (a pure
 * function of desired and observed state) the changes that close the gap, apply them at once,
 * and check again. Rendering is planning against an empty kernel, so `podnet render`, a sync and
 * the convergence check all read the same plan.
 */

/** Changes is what a plan yields: empty when the kernel already matches. */
export interface Changes {
  readonly empty: boolean;
  readonly size: number;
}

/** DataPlane is one part of a node's data path (pod routes, egress NAT, gateway policy routes…). */
export interface DataPlane<D, O, C extends Changes> {
  /** observe reads the kernel state the plan compares against. */
  observe(desired: D): Promise<O>;
  /** plan is pure: the changes that bring observed to desired. */
  plan(desired: D, observed: O): C;
  /** apply makes the changes, in one transaction per tool where the tools allow. */
  apply(changes: C): Promise<void>;
  /** pending lists what the kernel must still show that no change writes (BGP's learned routes); none by default. */
  pending?(desired: D, observed: O): string[];
}

/** ReconcileError is a data plane that did not converge: `failed to converge <what>: <cause>`. */
export class ReconcileError extends Error {
  constructor(msg: string, options?: { cause?: unknown }) {
    super(msg, options);
    this.name = "ReconcileError";
  }
}

/** reconcile observes, plans and applies once; it returns how many changes it made. */
export async function reconcile<D, O, C extends Changes>(plane: DataPlane<D, O, C>, desired: D): Promise<number> {
  const changes = plane.plan(desired, await plane.observe(desired));
  if (!changes.empty) await plane.apply(changes);
  return changes.size;
}

/** unconverged lists what still differs: the size of a fresh plan, and what the plane says is pending. */
export async function unconverged<D, O, C extends Changes>(plane: DataPlane<D, O, C>, desired: D): Promise<string[]> {
  const observed = await plane.observe(desired);
  const left = plane.plan(desired, observed);
  return [...(left.empty ? [] : [`${left.size} planned changes`]), ...(plane.pending?.(desired, observed) ?? [])];
}

/** awaitConverged re-checks until nothing differs (BGP converges after its sync returns) or the time is up. */
export async function awaitConverged<D, O, C extends Changes>(
  plane: DataPlane<D, O, C>,
  desired: D,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await unconverged(plane, desired);
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new ReconcileError(`failed to converge ${what}: ${left.join(", ")} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
