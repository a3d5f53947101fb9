/**
 * IpamStore is where one pool's allocations live. The allocator does every read-modify-write inside
 * `lock`, so allocations, releases and a GC's scan never interleave — with each other, with other
 * processes, or (for the disk store) with a host-local sharing the directory.
 */

/** Allocation is one reserved address with its owner. */
export interface Allocation {
  ip: string;
  containerId: string;
  ifname: string;
}

/** IpamStore holds a pool's reserved addresses and the last address handed out of each range set. */
export interface IpamStore {
  /** lock runs fn while holding the store's exclusive lock. */
  lock<T>(fn: () => T | Promise<T>): Promise<T>;
  /** reserve claims ip for a container; false when someone else holds it. */
  reserve(ip: string, containerId: string, ifname: string): boolean;
  /** release frees one address. */
  release(ip: string): void;
  /** allocations lists every reserved address and its owner. */
  allocations(): Allocation[];
  /** lastReserved reads the last address handed out of a range set. */
  lastReserved(set: number): string | undefined;
  /** setLastReserved records the last address handed out of a range set. */
  setLastReserved(set: number, ip: string): void;
}

/** ownedBy lists the allocations of a container's interface (host-local's legacy files, with no ifname, match any). */
export function ownedBy(all: Allocation[], containerId: string, ifname: string): Allocation[] {
  return all.filter((a) => a.containerId === containerId && (a.ifname === ifname || a.ifname === ""));
}

/** MemoryStore is an IpamStore in memory, for tests and callers with no disk state. */
export class MemoryStore implements IpamStore {
  private readonly held = new Map<string, Allocation>();
  private readonly last = new Map<number, string>();
  private queue: Promise<unknown> = Promise.resolve();

  lock<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => {});
    return run;
  }
  reserve(ip: string, containerId: string, ifname: string): boolean {
    if (this.held.has(ip)) return false;
    this.held.set(ip, { ip, containerId, ifname });
    return true;
  }
  release(ip: string): void {
    this.held.delete(ip);
  }
  allocations(): Allocation[] {
    return [...this.held.values()].map((a) => ({ ...a }));
  }
  lastReserved(set: number): string | undefined {
    return this.last.get(set);
  }
  setLastReserved(set: number, ip: string): void {
    this.last.set(set, ip);
  }
}
