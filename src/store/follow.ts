/**
 * StoreFollower: how a node daemon (the proxy, the policy agent) follows the cluster store file —
 * woken by the file's changes (and every half second), it reads the store again only when its
 * size or mtime moved. A store that cannot be read is reported once and yields nothing, so the
 * daemon keeps the rules the last good state made instead of reading it as an empty cluster.
 */
import { statSync, watch } from "node:fs";
import { basename, dirname } from "node:path";
import type { KubeObject } from "../model/types.js";
import { readStoreFile } from "./embedded.js";
import type { ObjectKey } from "./types.js";

/** StoreSnapshot is the store file's content. */
export interface StoreSnapshot {
  resourceVersion: number;
  objects: Record<string, KubeObject>;
}

/** byKind lists a snapshot's objects of one kind. */
export function byKind<T extends KubeObject>(s: StoreSnapshot, kind: string): T[] {
  const out: T[] = [];
  const prefix = `${kind}/`;
  for (const [k, o] of Object.entries(s.objects)) if (k.startsWith(prefix)) out.push(o as T);
  return out;
}

/** Follower is how a daemon follows the cluster: a store file (StoreFollower) or a Datastore (DatastoreFollower). */
export interface Follower {
  /** error is why the last read failed, until a read succeeds. */
  error: Error | undefined;
  /** open gets the follower ready to read (a datastore's first lists). */
  open(): Promise<void>;
  changed(): boolean;
  read(): StoreSnapshot | undefined;
  readIfChanged(): StoreSnapshot | undefined;
  loop(tick: () => Promise<void>, wakeMs?: number): Promise<void>;
  stop(): void;
}

/** tickLoop calls tick after each wake-up (whatever is given to onWake, or every wakeMs) until stopped(). */
export async function tickLoop(
  tick: () => Promise<void>,
  wakeMs: number,
  onWake: (wake: () => void) => void,
  stopped: () => boolean,
): Promise<void> {
  while (!stopped()) {
    await new Promise<void>((r) => {
      onWake(r);
      setTimeout(r, wakeMs);
    });
    if (stopped()) break;
    await tick();
  }
}

/** StoreFollower watches a store file and reads it when it changed. */
export class StoreFollower implements Follower {
  /** error is why the last read failed, until a read succeeds. */
  error: Error | undefined;
  private lastStamp = -1;
  private wake: () => void = () => {};
  private stopped = false;

  constructor(
    readonly file: string,
    private readonly log: (line: string) => void,
    private readonly required: ObjectKey[] = [{ kind: "Namespace", name: "default" }],
  ) {}

  /** open has nothing to wait for: the file is read when asked. */
  async open(): Promise<void> {}

  /** changed says whether the file's size or mtime moved since the last call. */
  changed(): boolean {
    let m: number;
    try {
      const st = statSync(this.file);
      m = st.mtimeMs + st.size;
    } catch {
      m = 0;
    }
    if (m === this.lastStamp) return false;
    this.lastStamp = m;
    return true;
  }

  /** read reads the store, or logs why it cannot (once per distinct reason) and returns undefined. */
  read(): StoreSnapshot | undefined {
    try {
      const s = readStoreFile(this.file, this.required);
      this.error = undefined;
      return s;
    } catch (e) {
      if ((e as Error).message !== this.error?.message) this.log((e as Error).message);
      this.error = e as Error;
      return undefined;
    }
  }

  /** readIfChanged is read() when the file moved, else undefined. */
  readIfChanged(): StoreSnapshot | undefined {
    return this.changed() ? this.read() : undefined;
  }

  /** loop calls tick after each wake-up (a change of the file, or every wakeMs) until stop(). */
  async loop(tick: () => Promise<void>, wakeMs = 500): Promise<void> {
    const name = basename(this.file);
    const watcher = watch(dirname(this.file), (_e, f) => {
      if (f === name) this.wake();
    });
    try {
      await tickLoop(
        tick,
        wakeMs,
        (wake) => (this.wake = wake),
        () => this.stopped,
      );
    } finally {
      watcher.close();
    }
  }

  /** stop ends loop() after the current tick. */
  stop(): void {
    this.stopped = true;
    this.wake();
  }
}
