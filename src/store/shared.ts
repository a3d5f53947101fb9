/**
 * SharedFollower: the daemons one process hosts (`podnet agent`'s routing and its service proxy)
 * follow the cluster through one follower — one etcd watch, one snapshot per change — instead of
 * one each. Each daemon gets a tap, a Follower of its own: its own "changed since I last read",
 * its own loop, woken by every wake-up of the one loop underneath (so a slow routing pass never
 * holds up a service sync, and a tick that throws ends only its own daemon's loop), its own stop.
 * The loop underneath stops with the last tap.
 */
import { type Follower, type StoreSnapshot, tickLoop } from "./follow.js";

/** SharedFollower hands out taps of one follower. */
export class SharedFollower {
  private generation = 0;
  private snapshot: StoreSnapshot | undefined;
  private readonly taps = new Set<Tap>();
  private running = false;

  constructor(private readonly inner: Follower) {}

  /** tap is a new Follower over the shared one. */
  tap(): Follower {
    return new Tap(this);
  }

  /** error is the inner follower's. */
  get error(): Error | undefined {
    return this.inner.error;
  }

  /** open opens the inner follower (once: a datastore's lists). */
  open(): Promise<void> {
    return this.inner.open();
  }

  /** poll reads the inner follower when it changed and returns the generation of the snapshot held. */
  poll(): number {
    if (this.inner.changed()) {
      this.snapshot = this.inner.read();
      this.generation++;
    }
    return this.generation;
  }

  /** current is the snapshot held (undefined when the last read failed; error says why). */
  get current(): StoreSnapshot | undefined {
    return this.snapshot;
  }

  /** join wakes a tap on every wake-up of the loop underneath, which the first tap starts. */
  join(t: Tap, wakeMs: number | undefined): void {
    this.taps.add(t);
    if (this.running) return;
    this.running = true;
    this.inner
      .loop(async () => {
        for (const tap of this.taps) tap.wake();
      }, wakeMs)
      .catch((e: Error) => {
        for (const tap of [...this.taps]) tap.fail(e);
      });
  }

  /** leave takes a tap out; the loop underneath stops with the last one. */
  leave(t: Tap): void {
    if (this.taps.delete(t) && this.taps.size === 0) this.inner.stop();
  }
}

/** Tap is one daemon's view of a SharedFollower. */
class Tap implements Follower {
  private seen = 0;
  private stopped = false;
  private failure: Error | undefined;
  private waker: () => void = () => {};

  constructor(private readonly shared: SharedFollower) {}

  get error(): Error | undefined {
    return this.shared.error;
  }

  open(): Promise<void> {
    return this.shared.open();
  }

  changed(): boolean {
    return this.shared.poll() !== this.seen;
  }

  read(): StoreSnapshot | undefined {
    this.seen = this.shared.poll();
    return this.shared.current;
  }

  readIfChanged(): StoreSnapshot | undefined {
    return this.changed() ? this.read() : undefined;
  }

  /** loop calls tick after each wake-up (the shared loop's, or every wakeMs) until stop(); a tick that throws ends it. */
  async loop(tick: () => Promise<void>, wakeMs = 500): Promise<void> {
    await this.shared.open();
    if (this.stopped) return;
    this.shared.join(this, wakeMs);
    try {
      await tickLoop(
        tick,
        wakeMs,
        (w) => (this.waker = w),
        () => this.stopped,
      );
    } finally {
      this.stopped = true;
      this.shared.leave(this);
    }
    if (this.failure) throw this.failure;
  }

  /** wake runs the next tick now. */
  wake(): void {
    this.waker();
  }

  /** fail ends the loop with the shared loop's error. */
  fail(e: Error): void {
    this.failure = e;
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    this.shared.leave(this);
    this.waker();
  }
}
