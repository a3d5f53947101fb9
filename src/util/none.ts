/**
 * One shared empty list for the many values that usually hold nothing (a port's external IPs, an
 * endpoint's zone hints): a render of 10 000 ports would otherwise keep tens of thousands of empty
 * arrays alive. It is frozen, so an accidental push fails loudly instead of leaking into every holder.
 */
const FROZEN: readonly never[] = Object.freeze([]);

/** none returns the shared empty list; callers treat lists they receive as read-only. */
export function none<T>(): T[] {
  return FROZEN as unknown as T[];
}
