/**
 * The store contract shared by the embedded (lab), etcd and Kubernetes backends: Kubernetes-shaped
 * objects keyed by kind, namespace and name, with a resource version bumped on every write.
 */
import type { KubeObject } from "../model/types.js";

/** ObjectKey identifies one stored object. */
export interface ObjectKey {
  kind: string;
  namespace?: string | undefined;
  name: string;
}

/** Txn is a consistent read-modify-write view of the store. */
export interface Txn {
  get<T extends KubeObject>(key: ObjectKey): T | undefined;
  list<T extends KubeObject>(kind: string, namespace?: string): T[];
  /** put stores obj; with expectVersion it fails when the stored version differs (optimistic concurrency). */
  put<T extends KubeObject>(obj: T, expectVersion?: string): T;
  delete(key: ObjectKey): boolean;
}

/** Store is a cluster state store. */
export interface Store {
  /** read runs fn on a consistent snapshot. */
  read<R>(fn: (tx: Txn) => R): Promise<R>;
  /** update runs fn under the store's lock and commits its writes atomically if it returns normally. */
  update<R>(fn: (tx: Txn) => R | Promise<R>): Promise<R>;
  /** lastRead is the resource version the last update that returned read the cluster at: all it saw was written by then. */
  readonly lastRead?: number;
}

/** StoreError is a failed store operation. */
export class StoreError extends Error {
  constructor(verb: string, thing: string, cause: string) {
    super(`failed to ${verb} ${thing}: ${cause}`);
    this.name = "StoreError";
  }
}

/** keyOf returns the key of an object. */
export function keyOf(obj: KubeObject): ObjectKey {
  return { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
}

/** keyString renders a key as `Kind/ns/name` (or `Kind//name` for cluster-scoped kinds). */
export function keyString(k: ObjectKey): string {
  return `${k.kind}/${k.namespace ?? ""}/${k.name}`;
}
