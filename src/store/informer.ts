/**
 * DatastoreFollower: how a node daemon follows a Datastore (etcd), as an informer does — it lists
 * the followed kinds at one version, then watches them as one stream from there, so its cache is
 * always the cluster as of one version: changes to different kinds arrive in the store's order,
 * and the version it reports (what an agent says it has applied) covers every change up to it.
 * A watch that is Gone (compacted) or fails lists again and replaces the cache, so deletions
 * missed meanwhile go too; meanwhile the last snapshot stands. An unreachable datastore is retried
 * with exponential backoff and jitter. As Calico's ClusterInformation does, the identity record
 * ClusterInformation "default" marks the datastore as the cluster's: one without it (it came back
 * empty, or is a fresh etcd at the same endpoints), or whose record says `datastoreReady: false`
 * (a restore or migration under way), is reported and yields nothing, so the daemon keeps the data
 * plane the last good state made.
 */
import type { KubeObject } from "../model/types.js";
import type { Datastore, DatastoreError, Watch } from "./datastore.js";
import { type Follower, type StoreSnapshot, tickLoop } from "./follow.js";
import { keyOf, keyString } from "./types.js";

/** CLUSTER_IDENTITY is the key of the record that marks a datastore as its cluster's. */
export const CLUSTER_IDENTITY = { kind: "ClusterInformation", name: "default" };

/**
 * FOLLOWED_KINDS are the kinds the node daemons read. Not Leases: every node's heartbeat would wake
 * every node (kubelets and kube-proxy do not watch them either).
 */
export const FOLLOWED_KINDS = [
  "ClusterInformation",
  "Namespace",
  "Node",
  "Pod",
  "Service",
  "EndpointSlice",
  "NetworkPolicy",
  "Deployment",
  "Subnet",
];

/** CONTROLLER_KINDS add the Leases that node lifecycle and leader election follow. */
export const CONTROLLER_KINDS = [...FOLLOWED_KINDS, "Lease"];

/** backoffMs is the retry delay: doubling from 200 ms to 10 s, each with ±20 % jitter. */
export function backoffMs(attempt: number, random = Math.random): number {
  const base = Math.min(10_000, 200 * 2 ** Math.min(attempt, 6));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** identityProblem says why a datastore is not to be acted on by its identity record, or undefined when it is. */
export function identityProblem(record: KubeObject | undefined): string | undefined {
  if (!record) return `it holds no ClusterInformation "default", which marks a datastore as its cluster's: it was replaced or emptied`;
  if ((record.spec as { datastoreReady?: boolean } | undefined)?.datastoreReady === false)
    return `ClusterInformation "default" says datastoreReady: false (a restore or migration is under way)`;
  return undefined;
}

/** DatastoreFollower keeps a snapshot of the followed kinds in step with a Datastore. */
export class DatastoreFollower implements Follower {
  error: Error | undefined;
  private readonly objects = new Map<string, KubeObject>();
  private watch: Watch | undefined;
  private listed = false;
  private version = 0;
  /** generation counts the cache's changes: a list again at the same version still changes it. */
  private generation = 0;
  private readGeneration = -1;
  private wake: () => void = () => {};
  private stopped = false;
  private opened: Promise<void> | undefined;

  constructor(
    readonly ds: Datastore,
    private readonly log: (line: string) => void,
    readonly kinds: string[] = FOLLOWED_KINDS,
  ) {}

  /** open lists the kinds and starts the watch; it returns once they have listed (retrying until then). */
  open(): Promise<void> {
    this.opened ??= this.follow(0);
    return this.opened;
  }

  /** follow lists the kinds, replaces the cache and watches from there; on failure it waits and starts again. */
  private async follow(attempt: number): Promise<void> {
    if (this.stopped) return;
    try {
      const list = await this.ds.list(this.kinds);
      if (this.stopped) return;
      this.objects.clear();
      for (const o of list.items) this.objects.set(keyString(keyOf(o)), o);
      this.listed = true;
      this.version = Number(list.resourceVersion);
      this.changedNow();
      this.watch?.stop();
      // Callbacks of a watch that was replaced or stopped are late news: ignored.
      const w: Watch = this.ds.watch(
        this.kinds,
        list.resourceVersion,
        (e) => {
          if (this.watch !== w) return;
          const k = keyString(keyOf(e.object));
          if (e.type === "DELETED") this.objects.delete(k);
          else this.objects.set(k, e.object);
          this.changedNow();
        },
        (e) => {
          if (this.watch === w) this.restart(e);
        },
        (rv) => {
          if (this.watch === w) this.version = Math.max(this.version, Number(rv));
        },
      );
      this.watch = w;
      if (attempt > 0) this.log(`following the datastore again at version ${list.resourceVersion}`);
    } catch (e) {
      this.note(e as Error);
      await new Promise((r) => setTimeout(r, backoffMs(attempt)));
      return this.follow(attempt + 1);
    }
  }

  /** restart lists again after a failed watch: at once when it was compacted, after a backoff when it broke. */
  private restart(e: DatastoreError): void {
    if (this.stopped) return;
    this.watch?.stop();
    this.watch = undefined;
    if (e.reason === "Gone") this.log(`${e.message}: listing again`);
    else this.note(e);
    const delay = e.reason === "Gone" ? 0 : backoffMs(0);
    setTimeout(() => void this.follow(1), delay);
  }

  private note(e: Error): void {
    if (e.message !== this.error?.message) this.log(e.message);
    this.error = e;
  }

  private changedNow(): void {
    this.generation++;
    this.wake();
  }

  /** changed says whether anything arrived since the last read. */
  changed(): boolean {
    return this.listed && this.generation !== this.readGeneration;
  }

  /** read returns the snapshot, or undefined (with error set) before the first list or when a required object is missing. */
  read(): StoreSnapshot | undefined {
    if (!this.listed) return undefined;
    this.readGeneration = this.generation;
    const why = identityProblem(this.objects.get(keyString(CLUSTER_IDENTITY)));
    if (why) {
      this.note(new Error(`failed to read the ${this.ds.kind} datastore: ${why}; keeping the data plane as it is`));
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
    this.watch?.stop();
    this.watch = undefined;
    this.wake();
  }
}
