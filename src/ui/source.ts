/**
 * A web view source that follows a cluster store file as the node agents do: a snapshot computed
 * on every change and pushed to every subscriber. `podnet ui --store` serves it as is; the lab's
 * source adds traces, doctor, policies and BGP session states.
 */
import type { Follower } from "../store/follow.js";
import { openFollower } from "../store/open.js";
import type { UiSource } from "./server.js";
import { type Snapshot, type SnapshotContext, snapshotOf } from "./snapshot.js";

/** StoreUiSource follows a store file for the web view. */
export class StoreUiSource implements UiSource {
  protected readonly follower: Follower;
  private last: Snapshot | undefined;
  private readonly subscribers = new Set<(s: Snapshot) => void>();

  constructor(
    file: string,
    private readonly context: () => SnapshotContext,
    log: (line: string) => void,
  ) {
    this.follower = openFollower(file, log);
  }

  /** start reads the store once and follows it until stop(). */
  start(): void {
    this.refresh(true);
    void this.follower.loop(async () => this.refresh(false), 250);
  }

  stop(): void {
    this.follower.stop();
  }

  snapshot(): Snapshot | undefined {
    return this.last;
  }

  subscribe(fn: (s: Snapshot) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** refresh makes a new snapshot when the store changed (or always, when forced) and pushes it. */
  protected refresh(force: boolean): void {
    const store = force ? this.follower.read() : this.follower.readIfChanged();
    if (!store) return;
    this.last = snapshotOf(store, this.context());
    for (const fn of this.subscribers) fn(this.last);
  }
}
