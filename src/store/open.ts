/**
 * Where a daemon's cluster state lives, as one string: a store file path (or `file:///path`) for
 * the embedded store, or `etcd://HOST:PORT[,HOST:PORT…]` for etcd, with `?ca=FILE&cert=FILE&key=FILE`
 * for TLS with a client certificate. An endpoint may be `unix:/PATH`, a member's unix socket (the lab
 * reaches its members, which live in network namespaces, through theirs).
 */
import { readFileSync } from "node:fs";
import type { Datastore } from "./datastore.js";
import { EmbeddedStore } from "./embedded.js";
import { EmbeddedDatastore } from "./embedded-ds.js";
import { EtcdDatastore, type EtcdOptions } from "./etcd.js";
import { type Follower, StoreFollower } from "./follow.js";
import { DatastoreFollower, FOLLOWED_KINDS } from "./informer.js";
import { type Store, StoreError } from "./types.js";
import { EtcdStore } from "./etcd-store.js";

/** DatastoreSpec is a parsed datastore location. */
export type DatastoreSpec =
  { kind: "embedded"; file: string } | { kind: "etcd"; endpoints: string[]; tls?: { ca: string; cert: string; key: string } };

/** parseDatastore reads a datastore location; a bad one is an error naming it. */
export function parseDatastore(s: string): DatastoreSpec {
  if (!s.includes("://")) return { kind: "embedded", file: s };
  const bad = (why: string) => new StoreError("parse", `datastore "${s}"`, why);
  if (s.startsWith("file://")) {
    try {
      return { kind: "embedded", file: decodeURIComponent(new URL(s).pathname) };
    } catch {
      throw bad("not a file:// URL");
    }
  }
  if (!s.startsWith("etcd://")) throw bad(`unknown scheme "${s.slice(0, s.indexOf("://") + 1)}" (want a file, file:// or etcd://)`);
  // WHATWG URLs keep one host: the authority, a list of HOST:PORT, is read here.
  const [authority = "", query = ""] = s.slice("etcd://".length).split("?", 2);
  const hosts = authority.split(",").filter(Boolean);
  if (hosts.length === 0 || hosts.some((h) => !/^[\w.-]+:\d+$|^\[[\da-fA-F:]+\]:\d+$|^unix:\/[\w./:@-]+$/.test(h)))
    throw bad("want etcd://HOST:PORT[,HOST:PORT…] (or unix:/PATH)");
  const q = new URLSearchParams(query);
  const files = ["ca", "cert", "key"].map((k) => q.get(k));
  if (files.some(Boolean) && !files.every(Boolean)) throw bad("TLS needs all of ca, cert and key");
  const [ca, cert, key] = files as string[];
  const tls = ca && cert && key ? { ca, cert, key } : undefined;
  const endpoint = (h: string) => (h.startsWith("unix:") ? `unix://${h.slice(5)}` : `${tls ? "https" : "http"}://${h}`);
  return { kind: "etcd", endpoints: hosts.map(endpoint), ...(tls ? { tls } : {}) };
}

function etcdOptions(spec: Extract<DatastoreSpec, { kind: "etcd" }>, dialTimeoutMs?: number): EtcdOptions {
  const base = { endpoints: spec.endpoints, ...(dialTimeoutMs ? { dialTimeoutMs } : {}) };
  if (!spec.tls) return base;
  const read = (what: string, f: string) => {
    try {
      return readFileSync(f);
    } catch (e) {
      throw new StoreError("read", `the etcd ${what} "${f}"`, (e as Error).message);
    }
  };
  return {
    ...base,
    tls: { ca: read("CA", spec.tls.ca), cert: read("certificate", spec.tls.cert), key: read("key", spec.tls.key) },
  };
}

/** openDatastore opens the datastore a location names. */
export function openDatastore(s: string): Datastore {
  const spec = parseDatastore(s);
  return spec.kind === "embedded" ? new EmbeddedDatastore(new EmbeddedStore(spec.file)) : new EtcdDatastore(etcdOptions(spec));
}

/** openEtcd opens an etcd location as an EtcdDatastore (a file location is an error); dialTimeoutMs bounds a call's wait for a connection. */
export function openEtcd(s: string, dialTimeoutMs?: number): EtcdDatastore {
  const spec = parseDatastore(s);
  if (spec.kind !== "etcd") throw new StoreError("open", `datastore "${s}"`, "not an etcd:// location");
  return new EtcdDatastore(etcdOptions(spec, dialTimeoutMs));
}

/** openFollower follows the cluster at a location: a store file as StoreFollower does, etcd through informers. */
export function openFollower(s: string, log: (line: string) => void): Follower {
  const spec = parseDatastore(s);
  return spec.kind === "embedded" ? new StoreFollower(spec.file, log) : new DatastoreFollower(new EtcdDatastore(etcdOptions(spec)), log);
}

/** Cluster is a datastore location opened three ways: the datastore, a Store over it, and a follower of it. */
export interface Cluster {
  ds: Datastore;
  store: Store;
  follower: Follower;
}

/** openCluster opens a location for a process that reads and writes (one etcd client shared by all three); its follower follows kinds. */
export function openCluster(s: string, log: (line: string) => void, kinds = FOLLOWED_KINDS): Cluster {
  const spec = parseDatastore(s);
  if (spec.kind === "embedded") {
    const store = new EmbeddedStore(spec.file);
    return { ds: new EmbeddedDatastore(store), store, follower: new StoreFollower(spec.file, log) };
  }
  const ds = new EtcdDatastore(etcdOptions(spec));
  return { ds, store: new EtcdStore(ds), follower: new DatastoreFollower(ds, log, kinds) };
}
