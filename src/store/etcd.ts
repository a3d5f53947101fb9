/**
 * EtcdDatastore: the datastore on etcd v3 (the `etcd3` client). An object is JSON under its key
 * (etcdkeys.ts) without its resourceVersion, which is the key's mod revision when read. Creates,
 * compare-and-swap updates and deletes are single etcd transactions; a list reads one revision
 * and returns it; a watch starts just after a version and reports a compacted one as Gone.
 */
import { Etcd3, type IOptions, type Lease as EtcdLease } from "etcd3";
import "./etcdwatchfix.js";
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
} from "./datastore.js";
import { decode, decoded, encode, unavailable } from "./etcdcodec.js";
import { watchEtcd } from "./etcdwatch.js";
import { apiGroupOf, etcdKey, groupOf, kindPrefix, PREFIX, parseEtcdKey } from "./etcdkeys.js";
import { keyOf, keyString, type ObjectKey } from "./types.js";

/** EtcdOptions are the endpoints and, for TLS, the CA and this component's certificate and key (PEM). */
export interface EtcdOptions {
  endpoints: string[];
  tls?: { ca: Buffer; cert: Buffer; key: Buffer };
  /** dialTimeoutMs bounds each call's wait for a connection (default 5 s). */
  dialTimeoutMs?: number;
}

/** EtcdDatastore implements Datastore on etcd. */
export class EtcdDatastore implements Datastore {
  readonly kind = "etcd" as const;
  private readonly client: Etcd3;

  constructor(opts: EtcdOptions) {
    const o: IOptions = { hosts: opts.endpoints, dialTimeout: opts.dialTimeoutMs ?? 5_000 };
    if (opts.tls) o.credentials = { rootCertificate: opts.tls.ca, certChain: opts.tls.cert, privateKey: opts.tls.key };
    // A unix socket has no address to check the member's certificate by: its certificate names localhost for it.
    if (opts.tls && opts.endpoints.every((e) => e.startsWith("unix:"))) o.grpcOptions = { "grpc.ssl_target_name_override": "localhost" };
    this.client = new Etcd3(o);
  }

  async get<T extends KubeObject>(key: ObjectKey): Promise<T | undefined> {
    try {
      const r = await this.client.get(etcdKey(key)).exec();
      const kv = r.kvs[0];
      return kv ? decode<T>(kv) : undefined;
    } catch (e) {
      throw unavailable("get", describe(key), e);
    }
  }

  async list<T extends KubeObject>(kind: string | readonly string[], namespace?: string): Promise<ListResult<T>> {
    const kinds = typeof kind === "string" ? [kind] : kind;
    const only = new Set(kinds);
    try {
      const prefix = kinds.length === 1 ? kindPrefix(kinds[0] ?? "", namespace) : PREFIX;
      const r = await this.client.getAll().prefix(prefix).sort("Key", "Ascend").exec();
      const mine = r.kvs.filter((kv) => {
        const key = parseEtcdKey(kv.key.toString("utf8"));
        return key && only.has(key.kind) && (namespace === undefined || (key.namespace ?? "") === namespace);
      });
      return { items: decoded<T>(mine), resourceVersion: r.header.revision };
    } catch (e) {
      throw unavailable("list", `${kinds.join(", ")}s`, e);
    }
  }

  private check(obj: KubeObject, verb: string): string {
    if (apiGroupOf(obj.apiVersion) !== groupOf(obj.kind))
      throw new DatastoreError(
        "Invalid",
        verb,
        describe(keyOf(obj)),
        `apiVersion "${obj.apiVersion}" is not in group "${groupOf(obj.kind)}"`,
      );
    return etcdKey(keyOf(obj));
  }

  /** write puts obj at key when the comparison holds, and returns it as stored (or the txn failed: undefined). */
  private async write<T extends KubeObject>(
    obj: T,
    key: string,
    cmp: [string, string | number],
    opts?: WriteOptions,
  ): Promise<T | undefined> {
    const put = this.client.put(key).value(encode(obj));
    if (opts?.lease) put.lease(opts.lease.id);
    const r = await this.client
      .if(key, cmp[0] as "Create" | "Mod", "==", cmp[1])
      .then(put)
      .commit();
    if (!r.succeeded) return undefined;
    const stored = structuredClone(obj);
    stored.metadata.resourceVersion = r.header.revision;
    return stored;
  }

  async create<T extends KubeObject>(obj: T, opts?: WriteOptions): Promise<T> {
    const key = this.check(obj, "create");
    let out: T | undefined;
    try {
      out = await this.write(obj, key, ["Create", 0], opts);
    } catch (e) {
      throw unavailable("create", describe(keyOf(obj)), e);
    }
    if (!out) throw new DatastoreError("AlreadyExists", "create", describe(keyOf(obj)), "it already exists");
    return out;
  }

  async update<T extends KubeObject>(obj: T, opts?: WriteOptions): Promise<T> {
    const key = this.check(obj, "update");
    const thing = describe(keyOf(obj));
    try {
      for (;;) {
        const want = obj.metadata.resourceVersion;
        const cur = (await this.client.get(key).exec()).kvs[0];
        if (!cur) throw new DatastoreError("NotFound", "update", thing, "it does not exist");
        if (want !== undefined && want !== cur.mod_revision)
          throw new DatastoreError(
            "Conflict",
            "update",
            thing,
            `the object has been modified (have version ${want}, stored ${cur.mod_revision})`,
          );
        const out = await this.write(obj, key, ["Mod", cur.mod_revision], opts);
        if (out) return out;
        // Changed between the read and the write: an unconditional update tries again, a CAS one fails on the next read.
      }
    } catch (e) {
      throw unavailable("update", thing, e);
    }
  }

  async delete(key: ObjectKey, resourceVersion?: string): Promise<boolean> {
    const k = etcdKey(key);
    try {
      if (resourceVersion === undefined) return (await this.client.delete().key(k).exec()).deleted !== "0";
      const r = await this.client.if(k, "Mod", "==", resourceVersion).then(this.client.delete().key(k)).commit();
      if (r.succeeded) return true;
      const cur = (await this.client.get(k).exec()).kvs[0];
      if (!cur) return false;
      throw new DatastoreError(
        "Conflict",
        "delete",
        describe(key),
        `the object has been modified (have version ${resourceVersion}, stored ${cur.mod_revision})`,
      );
    } catch (e) {
      throw unavailable("delete", describe(key), e);
    }
  }

  watch<T extends KubeObject>(
    kind: string | readonly string[],
    resourceVersion: string,
    onEvent: (e: WatchEvent<T>) => void,
    onError: (e: DatastoreError) => void,
    onProgress?: (resourceVersion: string) => void,
  ): Watch {
    const kinds = typeof kind === "string" ? [kind] : kind;
    return watchEtcd(this.client, kinds, resourceVersion, { onEvent, onError, onProgress }, (rev) => this.compacted(rev));
  }

  /** revision is the datastore's current revision (a read of one key: it also tells whether etcd answers). */
  async revision(): Promise<string> {
    try {
      return (await this.client.get(PREFIX).exec()).header.revision;
    } catch (e) {
      throw unavailable("read", "the revision", e);
    }
  }

  /** snapshot reads every podnet object at one revision, keyed as the embedded store keys them. */
  async snapshot(): Promise<{ revision: string; objects: Record<string, KubeObject>; marks: Record<string, string> }> {
    try {
      const r = await this.client.getAll().prefix(PREFIX).exec();
      const objects: Record<string, KubeObject> = {};
      const marks: Record<string, string> = {};
      for (const kv of r.kvs) {
        const key = parseEtcdKey(kv.key.toString("utf8"));
        if (!key) marks[kv.key.toString("utf8")] = kv.mod_revision;
        else {
          const obj = decode(kv);
          if (obj) objects[keyString(key)] = obj;
        }
      }
      return { revision: r.header.revision, objects, marks };
    } catch (e) {
      throw unavailable("read", "the cluster", e);
    }
  }

  /**
   * commit writes puts and deletes in one transaction, if every guard holds: a key's mod revision
   * still is the one read ("0": it still does not exist). It returns the revision, or undefined
   * when a guard failed.
   */
  async commit(guards: [string, string][], puts: KubeObject[], deletes: ObjectKey[], mark: string): Promise<string | undefined> {
    try {
      const ops = [
        ...puts.map((o) => this.client.put(this.check(o, "write")).value(encode(o))),
        ...deletes.map((k) => this.client.delete().key(etcdKey(k))),
        this.client.put(mark).value(""),
      ];
      const [first, ...rest] = guards;
      if (!first) throw new Error("a commit needs a guard");
      const txn = this.client.if(first[0], first[1] === "0" ? "Create" : "Mod", "==", first[1] === "0" ? 0 : first[1]);
      for (const [k, rev] of rest) txn.and(k, rev === "0" ? "Create" : "Mod", "==", rev === "0" ? 0 : rev);
      const r = await txn.then(...ops).commit();
      return r.succeeded ? r.header.revision : undefined;
    } catch (e) {
      throw unavailable("write", "the cluster", e);
    }
  }

  /** compacted says whether etcd no longer holds a revision. */
  private async compacted(revision: string): Promise<boolean> {
    try {
      await this.client.get(PREFIX).revision(revision).exec();
      return false;
    } catch (e) {
      return /compacted/.test((e as Error).message);
    }
  }

  async grantLease(ttlSeconds: number, autoKeepAlive = true): Promise<Lease> {
    const lease: EtcdLease = this.client.lease(ttlSeconds, { autoKeepAlive });
    lease.on("lost", () => {});
    let id: string;
    try {
      id = await lease.grant();
    } catch (e) {
      throw unavailable("grant", `a ${ttlSeconds} s lease`, e);
    }
    return {
      id,
      ttlSeconds,
      keepAlive: async () => {
        await lease.keepaliveOnce();
      },
      revoke: () => lease.revoke(),
      release: () => lease.release(),
    };
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
