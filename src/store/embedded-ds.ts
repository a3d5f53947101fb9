/**
 * EmbeddedDatastore: the datastore contract over the embedded file store (the lab's default).
 * Writes take the file's lock; a watch polls the file and diffs what it holds, so changes made
 * between two polls to one object arrive as one event, and a watch can only start at the file's
 * current version (an older one is Gone: the file keeps no history, and the watcher re-lists).
 * Leases live in this process: their timers delete what was written under them.
 */
import { randomUUID } from "node:crypto";
import type { KubeObject } from "../model/types.js";
import {
  type Datastore,
  DatastoreError,
  describe,
  type Lease,
  type ListResult,
  type Watch,
  type WatchEvent,
  type WriteOptions,
  withoutVersion,
} from "./datastore.js";
import type { EmbeddedStore } from "./embedded.js";
import { MemoryTxn, type StoreData } from "./memory.js";
import { keyOf, keyString, type ObjectKey, type Txn } from "./types.js";

const dataOf = (tx: Txn): StoreData => (tx as MemoryTxn).data;

/** EmbeddedDatastore implements Datastore on an EmbeddedStore. */
export class EmbeddedDatastore implements Datastore {
  readonly kind = "embedded" as const;
  private readonly leases = new Map<string, { keys: Set<string>; timer: NodeJS.Timeout; renew?: NodeJS.Timeout }>();

  constructor(
    private readonly store: EmbeddedStore,
    private readonly pollMs = 100,
  ) {}

  async get<T extends KubeObject>(key: ObjectKey): Promise<T | undefined> {
    return this.store.read((tx) => tx.get<T>(key));
  }

  async list<T extends KubeObject>(kind: string | readonly string[], namespace?: string): Promise<ListResult<T>> {
    const kinds = typeof kind === "string" ? [kind] : kind;
    return this.store.read((tx) => ({
      items: kinds.flatMap((k) => tx.list<T>(k, namespace)),
      resourceVersion: String(dataOf(tx).resourceVersion),
    }));
  }

  async create<T extends KubeObject>(obj: T, opts?: WriteOptions): Promise<T> {
    this.held("create", obj, opts);
    const out = await this.store.update((tx) => {
      if (tx.get(keyOf(obj))) throw new DatastoreError("AlreadyExists", "create", describe(keyOf(obj)), "it already exists");
      return tx.put(withoutVersion(obj));
    });
    this.attach(out, opts);
    return out;
  }

  async update<T extends KubeObject>(obj: T, opts?: WriteOptions): Promise<T> {
    this.held("update", obj, opts);
    const thing = describe(keyOf(obj));
    const out = await this.store.update((tx) => {
      const cur = tx.get(keyOf(obj));
      if (!cur) throw new DatastoreError("NotFound", "update", thing, "it does not exist");
      const want = obj.metadata.resourceVersion;
      if (want !== undefined && want !== cur.metadata.resourceVersion)
        throw new DatastoreError(
          "Conflict",
          "update",
          thing,
          `the object has been modified (have version ${want}, stored ${cur.metadata.resourceVersion})`,
        );
      return tx.put(obj, cur.metadata.resourceVersion);
    });
    this.attach(out, opts);
    return out;
  }

  async delete(key: ObjectKey, resourceVersion?: string): Promise<boolean> {
    return this.store.update((tx) => {
      const cur = tx.get(key);
      if (!cur) return false;
      if (resourceVersion !== undefined && resourceVersion !== cur.metadata.resourceVersion)
        throw new DatastoreError(
          "Conflict",
          "delete",
          describe(key),
          `the object has been modified (have version ${resourceVersion}, stored ${cur.metadata.resourceVersion})`,
        );
      return tx.delete(key);
    });
  }

  watch<T extends KubeObject>(
    kind: string | readonly string[],
    resourceVersion: string,
    onEvent: (e: WatchEvent<T>) => void,
    onError: (e: DatastoreError) => void,
    onProgress?: (resourceVersion: string) => void,
  ): Watch {
    const kinds = typeof kind === "string" ? [kind] : kind;
    const prefixes = kinds.map((k) => `${k}/`);
    let seen: Map<string, T> | undefined;
    let version = Number(resourceVersion);
    let busy = false;
    const poll = async () => {
      if (busy) return;
      busy = true;
      try {
        const data = await this.store.read((tx) => structuredClone(dataOf(tx)));
        const now = new Map(Object.entries(data.objects).filter(([k]) => prefixes.some((p) => k.startsWith(p))) as [string, T][]);
        if (!seen) {
          if (data.resourceVersion !== version) {
            clearInterval(timer);
            onError(
              new DatastoreError(
                "Gone",
                "watch",
                `${kinds.join(", ")} from version ${resourceVersion}`,
                `the embedded store is at version ${data.resourceVersion} and keeps no history`,
              ),
            );
            return;
          }
          seen = now;
          return;
        }
        if (data.resourceVersion === version) return;
        const events: WatchEvent<T>[] = [];
        for (const [k, o] of now) {
          const was = seen.get(k);
          if (!was) events.push({ type: "ADDED", object: o, resourceVersion: o.metadata.resourceVersion ?? "" });
          else if (was.metadata.resourceVersion !== o.metadata.resourceVersion)
            events.push({ type: "MODIFIED", object: o, resourceVersion: o.metadata.resourceVersion ?? "" });
        }
        events.sort((a, b) => Number(a.resourceVersion) - Number(b.resourceVersion));
        for (const [k, o] of seen)
          if (!now.has(k))
            events.push({
              type: "DELETED",
              object: { ...o, metadata: { ...o.metadata, resourceVersion: String(data.resourceVersion) } },
              resourceVersion: String(data.resourceVersion),
            });
        seen = now;
        version = data.resourceVersion;
        for (const e of events) onEvent(e);
        onProgress?.(String(version));
      } catch (e) {
        onError(e instanceof DatastoreError ? e : new DatastoreError("Unavailable", "watch", kinds.join(", "), (e as Error).message));
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void poll(), this.pollMs);
    void poll();
    return { stop: () => clearInterval(timer) };
  }

  async grantLease(ttlSeconds: number, autoKeepAlive = true): Promise<Lease> {
    const id = randomUUID();
    const expire = async () => {
      const l = this.leases.get(id);
      this.leases.delete(id);
      if (!l) return;
      if (l.renew) clearInterval(l.renew);
      await this.store.update((tx) => {
        for (const k of l.keys) {
          const [kind = "", namespace = "", name = ""] = k.split("/");
          tx.delete({ kind, ...(namespace ? { namespace } : {}), name });
        }
      });
    };
    const entry: { keys: Set<string>; timer: NodeJS.Timeout; renew?: NodeJS.Timeout } = {
      keys: new Set(),
      timer: setTimeout(() => void expire(), ttlSeconds * 1000),
    };
    this.leases.set(id, entry);
    const keepAlive = async () => {
      clearTimeout(entry.timer);
      entry.timer = setTimeout(() => void expire(), ttlSeconds * 1000);
    };
    if (autoKeepAlive) entry.renew = setInterval(() => void keepAlive(), (ttlSeconds * 1000) / 3);
    return {
      id,
      ttlSeconds,
      keepAlive,
      revoke: async () => {
        clearTimeout(entry.timer);
        await expire();
      },
      release: () => clearInterval(entry.renew),
    };
  }

  /** held checks, before a write, that its lease still runs (etcd refuses a write under an ended lease too). */
  private held(verb: string, obj: KubeObject, opts?: WriteOptions): void {
    if (opts?.lease && !this.leases.has(opts.lease.id))
      throw new DatastoreError("NotFound", verb, describe(keyOf(obj)), `lease ${opts.lease.id} has ended (expired or revoked)`);
  }

  private attach(obj: KubeObject, opts?: WriteOptions): void {
    if (opts?.lease) this.leases.get(opts.lease.id)?.keys.add(keyString(keyOf(obj)));
  }

  async close(): Promise<void> {
    for (const l of this.leases.values()) {
      clearTimeout(l.timer);
      if (l.renew) clearInterval(l.renew);
    }
    this.leases.clear();
  }
}
