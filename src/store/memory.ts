/** MemoryTxn: the in-memory object map and transaction logic that every file-backed store reuses. */
import { randomUUID } from "node:crypto";
import type { KubeObject } from "../model/types.js";
import { keyOf, keyString, type ObjectKey, StoreError, type Txn } from "./types.js";

/** StoreData is the serialisable content of a store. */
export interface StoreData {
  resourceVersion: number;
  objects: Record<string, KubeObject>;
}

/** MemoryTxn applies reads and writes to a StoreData, tracking whether anything changed. */
export class MemoryTxn implements Txn {
  dirty = false;
  private bumped = false;
  /** With oneRevision, every write of this transaction gets the same next version (etcd commits a transaction at one revision). */
  constructor(
    readonly data: StoreData,
    private readonly now: () => Date = () => new Date(),
    private readonly oneRevision = false,
  ) {}

  private bump(): void {
    if (this.oneRevision && this.bumped) return;
    this.data.resourceVersion++;
    this.bumped = true;
  }

  get<T extends KubeObject>(key: ObjectKey): T | undefined {
    const o = this.data.objects[keyString(key)];
    return o === undefined ? undefined : (structuredClone(o) as T);
  }

  list<T extends KubeObject>(kind: string, namespace?: string): T[] {
    const prefix = namespace === undefined ? `${kind}/` : `${kind}/${namespace}/`;
    return Object.keys(this.data.objects)
      .filter((k) => k.startsWith(prefix))
      .sort()
      .map((k) => structuredClone(this.data.objects[k]) as T);
  }

  put<T extends KubeObject>(obj: T, expectVersion?: string): T {
    const key = keyString(keyOf(obj));
    const old = this.data.objects[key];
    if (expectVersion !== undefined && old?.metadata.resourceVersion !== expectVersion)
      throw new StoreError(
        "update",
        `${obj.kind} "${obj.metadata.name}"`,
        `the object has been modified (have version ${expectVersion}, stored ${old?.metadata.resourceVersion ?? "none"})`,
      );
    const stored = structuredClone(obj);
    stored.metadata.uid = old?.metadata.uid ?? stored.metadata.uid ?? randomUUID();
    stored.metadata.creationTimestamp =
      old?.metadata.creationTimestamp ??
      stored.metadata.creationTimestamp ??
      this.now()
        .toISOString()
        .replace(/\.\d+Z$/, "Z");
    this.bump();
    stored.metadata.resourceVersion = String(this.data.resourceVersion);
    this.data.objects[key] = stored;
    this.dirty = true;
    return structuredClone(stored);
  }

  delete(key: ObjectKey): boolean {
    const k = keyString(key);
    if (!(k in this.data.objects)) return false;
    delete this.data.objects[k];
    this.bump();
    this.dirty = true;
    return true;
  }
}

/** emptyData is a store with nothing in it. */
export function emptyData(): StoreData {
  return { resourceVersion: 0, objects: {} };
}
