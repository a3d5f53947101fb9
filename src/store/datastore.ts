/**
 * The datastore contract with Kubernetes' semantics, so agents and controllers can run over the
 * embedded file store, etcd, or (later) a Kubernetes API server without change: typed get and
 * list (with the version the list was read at), create, update with compare-and-swap on
 * `metadata.resourceVersion`, delete, watch from a resource version (a version the store no
 * longer holds is `Gone`, and the watcher re-lists), and leases whose expiry deletes what was
 * written under them.
 */
import type { KubeObject } from "../model/types.js";
import type { ObjectKey } from "./types.js";

/** WatchEvent is one change seen by a watch, at the store's version after it. */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: T;
  resourceVersion: string;
}

/** ListResult is a list of objects and the store's version when it was read. */
export interface ListResult<T extends KubeObject = KubeObject> {
  items: T[];
  resourceVersion: string;
}

/** Lease is a time-to-live grant: objects written under it are deleted when it expires or is revoked. */
export interface Lease {
  readonly id: string;
  readonly ttlSeconds: number;
  /** keepAlive renews the lease once. */
  keepAlive(): Promise<void>;
  /** revoke ends the lease now, deleting its objects. */
  revoke(): Promise<void>;
  /** release stops renewing it, as a killed process would: it runs out after its TTL. */
  release(): void;
}

/** WriteOptions attach a write to a lease. */
export interface WriteOptions {
  lease?: Lease;
}

/** Watch is a running watch; stop ends it. */
export interface Watch {
  stop(): void;
}

/** Datastore is a cluster state store with Kubernetes' semantics. */
export interface Datastore {
  /** kind names the backend. */
  readonly kind: "embedded" | "etcd";
  get<T extends KubeObject>(key: ObjectKey): Promise<T | undefined>;
  /** list reads the objects of a kind, or of several kinds at one version. */
  list<T extends KubeObject>(kind: string | readonly string[], namespace?: string): Promise<ListResult<T>>;
  /** create stores a new object; AlreadyExists when one has its key. */
  create<T extends KubeObject>(obj: T, opts?: WriteOptions): Promise<T>;
  /** update replaces an object; with metadata.resourceVersion set, only if it is still the stored one (else Conflict). */
  update<T extends KubeObject>(obj: T, opts?: WriteOptions): Promise<T>;
  /** delete removes an object, only at `resourceVersion` when given; false when there was none. */
  delete(key: ObjectKey, resourceVersion?: string): Promise<boolean>;
  /**
   * watch reports the changes to a kind, or to several kinds as one stream, after `resourceVersion`,
   * in the store's order; onError gets Gone when that version is no longer held; onProgress gets
   * a version up to which every change has been delivered (so a follower may claim it).
   */
  watch<T extends KubeObject>(
    kind: string | readonly string[],
    resourceVersion: string,
    onEvent: (e: WatchEvent<T>) => void,
    onError: (e: DatastoreError) => void,
    onProgress?: (resourceVersion: string) => void,
  ): Watch;
  /** grantLease starts a lease; with autoKeepAlive the store renews it until revoke or close. */
  grantLease(ttlSeconds: number, autoKeepAlive?: boolean): Promise<Lease>;
  close(): Promise<void>;
}

/** Reason is why a datastore call failed, as Kubernetes' status reasons. */
export type Reason = "NotFound" | "AlreadyExists" | "Conflict" | "Gone" | "Invalid" | "Unavailable";

/** DatastoreError is a failed datastore call, with Kubernetes' reason. */
export class DatastoreError extends Error {
  constructor(
    readonly reason: Reason,
    verb: string,
    thing: string,
    cause: string,
  ) {
    super(`failed to ${verb} ${thing}: ${cause}`);
    this.name = "DatastoreError";
  }
}

/** describe names an object in messages: `Kind "ns/name"`. */
export function describe(key: ObjectKey): string {
  return `${key.kind} "${key.namespace ? `${key.namespace}/` : ""}${key.name}"`;
}

/** withoutVersion is obj without metadata.resourceVersion: what a store keeps, or an unconditional update. */
export function withoutVersion<T extends KubeObject>(obj: T): T {
  const metadata = { ...obj.metadata };
  delete metadata.resourceVersion;
  return { ...obj, metadata };
}
