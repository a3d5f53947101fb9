/**
 * EtcdStore: the Store contract (read and update with a transaction over the whole cluster, as the
 * controllers and `lab apply` use it) on etcd. update reads every object at one revision, runs the
 * function on that copy, and commits what it wrote in one etcd transaction guarded by the mod
 * revision of every key it touched and of a mark key every update writes — so updates through
 * EtcdStore are serialised as the embedded store's file lock serialises them. A guard that fails
 * runs the function again on a fresh read (it must not have other side effects).
 */
import type { KubeObject } from "../model/types.js";
import { withoutVersion } from "./datastore.js";
import { type EtcdDatastore } from "./etcd.js";
import { etcdKey, PREFIX } from "./etcdkeys.js";
import { MemoryTxn, type StoreData } from "./memory.js";
import { keyOf, keyString, type ObjectKey, type Store, StoreError, type Txn } from "./types.js";

/** MARK is the key every EtcdStore update writes: its revision guards against a concurrent update. */
export const MARK = `${PREFIX}_updates`;

const ATTEMPTS = 20;

/** EtcdStore implements Store on an EtcdDatastore. */
export class EtcdStore implements Store {
  /** lastCommit is the revision of this store's last update that wrote, and the kinds it wrote. */
  lastCommit: { revision: number; kinds: Set<string> } | undefined;
  /** lastRead is the revision the last update that returned read the cluster at. */
  lastRead: number | undefined;

  constructor(
    readonly ds: EtcdDatastore,
    private readonly required: ObjectKey[] = [],
  ) {}

  private async load(): Promise<{ data: StoreData; mark: string }> {
    const s = await this.ds.snapshot();
    for (const k of this.required)
      if (!s.objects[keyString(k)])
        throw new StoreError(
          "read",
          "the etcd datastore",
          `it holds no ${k.kind} "${k.name}", which every cluster has: it was replaced or emptied; not reading it as an empty cluster`,
        );
    return { data: { resourceVersion: Number(s.revision), objects: s.objects }, mark: s.marks[MARK] ?? "0" };
  }

  async read<R>(fn: (tx: Txn) => R): Promise<R> {
    return fn(new MemoryTxn((await this.load()).data));
  }

  async update<R>(fn: (tx: Txn) => R | Promise<R>): Promise<R> {
    for (let i = 0; i < ATTEMPTS; i++) {
      const { data, mark } = await this.load();
      const readAt = data.resourceVersion;
      const before = structuredClone(data.objects);
      const tx = new MemoryTxn(data, undefined, true);
      const result = await fn(tx);
      if (!tx.dirty) return this.returned(readAt, result);
      const puts: KubeObject[] = [];
      const deletes: ObjectKey[] = [];
      const guards: [string, string][] = [[MARK, mark]];
      for (const [k, o] of Object.entries(data.objects)) {
        const was = before[k];
        if (was?.metadata.resourceVersion === o.metadata.resourceVersion) continue;
        // A put of what is stored already is no change: controllers that rewrite an unchanged status write nothing.
        if (was && JSON.stringify(withoutVersion(was)) === JSON.stringify(withoutVersion(o))) continue;
        puts.push(o);
        guards.push([etcdKey(keyOf(o)), was?.metadata.resourceVersion ?? "0"]);
      }
      for (const [k, was] of Object.entries(before))
        if (!data.objects[k]) {
          deletes.push(keyOf(was));
          guards.push([etcdKey(keyOf(was)), was.metadata.resourceVersion ?? "0"]);
        }
      if (puts.length === 0 && deletes.length === 0) return this.returned(readAt, result);
      const revision = await this.ds.commit(guards, puts, deletes, MARK);
      if (revision === undefined) continue;
      this.lastCommit = { revision: Number(revision), kinds: new Set([...puts, ...deletes].map((o) => o.kind)) };
      return this.returned(readAt, result);
    }
    throw new StoreError("update", "the etcd datastore", `another writer won ${ATTEMPTS} times in a row`);
  }

  private returned<R>(revision: number, result: R): R {
    this.lastRead = revision;
    return result;
  }
}
