/**
 * DatastoreFollower: how a node daemon follows a Datastore (etcd) — an informer per kind lists,
 * then watches from the list's version; a watch that is Gone (compacted) lists again and the
 * cache is replaced, so deletions missed meanwhile go too; an unreachable datastore is retried
 * with exponential backoff and jitter. Like the file follower, a datastore that lacks an object
 * every cluster has (it came back empty, or is a fresh etcd at the same endpoints) is reported and
 * yields nothing: the daemon keeps the data plane the last good state made.
 */
import type { KubeObject } from "../model/types.js";
import type { Datastore, DatastoreError, Watch } from "./datastore.js";
import { type Follower, type StoreSnapshot, tickLoop } from "./follow.js";
import { keyOf, keyString, type ObjectKey } from "./types.js";

/** FOLLOWED_KINDS are the kinds the node daemons read. */
export const FOLLOWED_KINDS = ["Namespace", "Node", "Pod", "Service", "EndpointSlice", "NetworkPolicy", "Deployment", "Subnet", "Lease"];

/** backoffMs is the retry delay: doubling from 200 ms to 10 s, each with ±20 % jitter. */
export function backoffMs(attempt: number, random = Math.random): number {
  const base = Math.min(10_000, 200 * 2 ** Math.min(attempt, 6));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** DatastoreFollower keeps a snapshot of the followed kinds in step with a Datastore. */
export class DatastoreFollower implements Follower {
  error: Error | undefined;
  private readonly objects = new Map<string, KubeObject>();
  private readonly watches = new Map<string, Watch>();
  private readonly synced = new Set<string>();
  private version = 0;
  /** generation counts the cache's changes: a kind listed again at the same version still changes it. */
  private generation = 0;
  private readGeneration = -1;
  private wake: () => void = () => {};
  private stopped = false;
  private opened: Promise<void> | undefined;

  constructor(
    readonly ds: Datastore,
    private readonly log: (line: string) => void,
    private readonly required: ObjectKey[] = [{ kind: "Namespace", name: "default" }],
    readonly kinds: string[] = FOLLOWED_KINDS,
  ) {}

  /** open lists every kind and starts the watches; it returns once all have listed (retrying until then). */
  open(): Promise<void> {
    this.opened ??= Promise.all(this.kinds.map((k) => this.follow(k, 0))).then(() => {});
    return this.opened;
  }

  /** follow lists a kind, replaces its part of the cache and watches from there; on failure it waits and starts again. */
  private async follow(kind: string, attempt: number): Promise<void> {
    if (this.stopped) return;
    try {
      const list = await this.ds.list(kind);
      const prefix = `${kind}/`;
      for (const k of [...this.objects.keys()]) if (k.startsWith(prefix)) this.objects.delete(k);
      for (const o of list.items) this.objects.set(keyString(keyOf(o)), o);
      this.bump(list.resourceVersion);
      this.synced.add(kind);
      this.watches.get(kind)?.stop();
      // Callbacks of a watch that was replaced or stopped are late news: ignored.
      const w: Watch = this.ds.watch(
        kind,
        list.resourceVersion,
        (e) => {
          if (this.watches.get(kind) !== w) return;
          const k = keyString(keyOf(e.object));
          if (e.type === "DELETED") this.objects.delete(k);
          else this.objects.set(k, e.object);
          this.bump(e.resourceVersion);
        },
        (e) => {
          if (this.watches.get(kind) === w) this.restart(kind, e);
        },
      );
      this.watches.set(kind, w);
      if (attempt > 0) this.log(`following ${kind}s again at version ${list.resourceVersion}`);
    } catch (e) {
      this.note(e as Error);
      await new Promise((r) => setTimeout(r, backoffMs(attempt)));
      return this.follow(kind, attempt + 1);
    }
  }

  private restart(kind: string, e: DatastoreError): void {
    if (this.stopped) return;
    if (e.reason !== "Gone") {
      this.watches.get(kind)?.stop();
      this.watches.delete(kind);
      this.note(e);
      void new Promise((r) => setTimeout(r, backoffMs(0))).then(() => this.follow(kind, 1));
      return;
    }
    // A compaction passed every watch started before it, though the others may learn it later:
    // every kind is listed again, and there is no snapshot until all are (no stale kind in it).
    this.log(`${e.message}: listing every kind again`);
    for (const k of this.kinds) {
      this.watches.get(k)?.stop();
      this.watches.delete(k);
      this.synced.delete(k);
    }
    for (const k of this.kinds) void this.follow(k, 1);
  }

  private note(e: Error): void {
    if (e.message !== this.error?.message) this.log(e.message);
    this.error = e;
  }

  private bump(rv: string): void {
    this.version = Math.max(this.version, Number(rv));
    this.generation++;
    this.wake();
  }

  /** changed says whether anything arrived since the last read. */
  changed(): boolean {
    return this.synced.size === this.kinds.length && this.generation !== this.readGeneration;
  }

  /** read returns the snapshot, or undefined (with error set) before every kind listed or when a required object is missing. */
  read(): StoreSnapshot | undefined {
    if (this.synced.size < this.kinds.length) return undefined;
    this.readGeneration = this.generation;
    const missing = this.required.find((k) => !this.objects.has(keyString(k)));
    if (missing) {
      this.note(
        new Error(
          `failed to read the ${this.ds.kind} datastore: it holds no ${missing.kind} "${missing.name}", which every cluster has: it was replaced or emptied; keeping the data plane as it is`,
        ),
      );
      return undefined;
    }
    this.error = undefined;
    return { resourceVersion: this.version, objects: Object.fromEntries(this.objects) };
  }

  /** readIfChanged is read() when something arrived, else undefined. */
  readIfChanged(): StoreSnapshot | undefined {
    return this.changed() ? this.read() : undefined;
  }

  /** loop calls tick after each wake-up (a change, or every wakeMs) until stop(). */
  async loop(tick: () => Promise<void>, wakeMs = 500): Promise<void> {
    await this.open();
    await tickLoop(
      tick,
      wakeMs,
      (wake) => (this.wake = wake),
      () => this.stopped,
    );
  }

  /** stop ends loop() and the watches. */
  stop(): void {
    this.stopped = true;
    for (const w of this.watches.values()) w.stop();
    this.watches.clear();
    this.wake();
  }
}
