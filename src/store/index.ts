/** Cluster state stores. */

export { EmbeddedStore, withFileLock } from "./embedded.js";
export { emptyData, MemoryTxn, type StoreData } from "./memory.js";
export * from "./types.js";
export * from "./datastore.js";
export { EmbeddedDatastore } from "./embedded-ds.js";
export { EtcdDatastore, type EtcdOptions } from "./etcd.js";
