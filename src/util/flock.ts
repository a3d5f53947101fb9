/**
 * flock(2) locks on files: IPAM's `<dir>/lock` (the file host-local locks, so podnet and a
 * host-local sharing a directory serialise), the lab's lock and the store's. The kernel releases
 * a flock when its holder dies, so a killed command never leaves a lock behind. Callers in one
 * process queue on a promise chain first, so one waits on the kernel lock at a time; the lock is
 * tried without blocking (a blocked flock would stall the event loop) and retried with backoff.
 */
import { closeSync, openSync } from "node:fs";
import fsExt from "fs-ext";

const queues = new Map<string, Promise<void>>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tryLock(fd: number): boolean {
  try {
    fsExt.flockSync(fd, "exnb");
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EAGAIN" || (e as NodeJS.ErrnoException).code === "EWOULDBLOCK") return false;
    throw e;
  }
}

/** LockTimeoutError is a lock still held by another process when the caller stopped waiting. */
export class LockTimeoutError extends Error {
  constructor(path: string, timeoutMs: number) {
    super(`failed to lock "${path}": still held by another process after ${timeoutMs} ms`);
    this.name = "LockTimeoutError";
  }
}

/** withFlock runs fn holding an exclusive flock on path (created if missing); it gives up after timeoutMs. */
export async function withFlock<T>(path: string, fn: () => T | Promise<T>, timeoutMs = 30_000): Promise<T> {
  const before = queues.get(path) ?? Promise.resolve();
  let done!: () => void;
  const gate = new Promise<void>((r) => (done = r));
  const mine = before.then(() => gate);
  queues.set(path, mine);
  await before;
  let fd: number | undefined;
  try {
    fd = openSync(path, "a", 0o644);
    const deadline = Date.now() + timeoutMs;
    for (let wait = 1; !tryLock(fd); wait = Math.min(wait * 2, 20)) {
      if (Date.now() > deadline) throw new LockTimeoutError(path, timeoutMs);
      await sleep(wait);
    }
    return await fn();
  } catch (e) {
    if (fd !== undefined) throw e;
    throw new Error(`failed to open lock "${path}": ${(e as Error).message}`, { cause: e });
  } finally {
    if (fd !== undefined) closeSync(fd); // closing the file releases the lock
    done();
    if (queues.get(path) === mine) queues.delete(path);
  }
}
