/**
 * The lab's store: the embedded file (the default) or the lab's etcd cluster (`lab up --datastore
 * etcd`), behind one interface, and the location each component is given to open it with its own
 * identity. Its version is what the lab waits for the node daemons to have applied: on etcd that is
 * the revision of the lab's last write to a kind they follow, or the newest such object's — not
 * etcd's current revision, which writes they never see (leader election, the update mark) move on.
 */
import { EmbeddedStore } from "../store/embedded.js";
import { EtcdStore } from "../store/etcd-store.js";
import { FOLLOWED_KINDS } from "../store/informer.js";
import { openEtcd } from "../store/open.js";
import type { ObjectKey, Store, Txn } from "../store/types.js";
import type { LabConfig } from "./config.js";
import { type Identity, etcdLocation } from "./etcdmembers.js";
import type { LabPaths } from "./layout.js";

/** LabStore is the store a lab command reads and writes. */
export interface LabStore extends Store {
  /** version is the resource version the node daemons must have applied to be in step with this store. */
  version(): Promise<number>;
  /** create writes the first objects of a new, empty store. */
  create(seed: (tx: Txn) => void): Promise<void>;
  /** close ends the store's connections (an etcd client keeps the process alive). */
  close(): Promise<void>;
}

const REQUIRED: ObjectKey[] = [{ kind: "Namespace", name: "default" }];

/** storeLocation is the datastore location a component of the lab opens, as who (etcd: its own certificate). */
export function storeLocation(paths: LabPaths, cfg: LabConfig, who: Identity, via: "underlay" | "socket" = "underlay"): string {
  return cfg.datastore ? etcdLocation(paths, cfg.datastore.members, who, via) : paths.store;
}

/** openLabStore opens the lab's store for the lab's CLI. */
export function openLabStore(paths: LabPaths, cfg: LabConfig): LabStore {
  if (!cfg.datastore) return embeddedLabStore(new EmbeddedStore(paths.store, { required: REQUIRED }));
  return etcdLabStore(storeLocation(paths, cfg, "admin", "socket"));
}

function embeddedLabStore(s: EmbeddedStore): LabStore {
  return {
    read: (fn) => s.read(fn),
    update: (fn) => s.update(fn),
    create: (seed) => s.create(seed),
    version: async () => s.version(),
    close: async () => {},
  };
}

const followed = new Set(FOLLOWED_KINDS);

/** DIAL_MS bounds a lab command's wait for a member: with none answering, it fails in seconds instead of hanging. */
const DIAL_MS = 2_000;

function etcdLabStore(location: string): LabStore {
  const ds = openEtcd(location, DIAL_MS);
  const store = new EtcdStore(ds, REQUIRED);
  // The revision of this process's last write of each kind: a deletion leaves no object to read it from.
  const writes = new Map<string, number>();
  const written = (kinds: Iterable<string>) => Math.max(0, ...[...kinds].map((k) => writes.get(k) ?? 0));
  return {
    read: (fn) => store.read(fn),
    update: async (fn) => {
      const r = await store.update(fn);
      const c = store.lastCommit;
      if (c) for (const k of c.kinds) writes.set(k, Math.max(writes.get(k) ?? 0, c.revision));
      return r;
    },
    create: async (seed) => {
      await new EtcdStore(ds).update((tx) => seed(tx));
    },
    version: async () => {
      const s = await ds.snapshot();
      let v = 0;
      for (const o of Object.values(s.objects)) if (followed.has(o.kind)) v = Math.max(v, Number(o.metadata.resourceVersion));
      return Math.max(v, written(followed));
    },
    close: () => ds.close(),
  };
}
