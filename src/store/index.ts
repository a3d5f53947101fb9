/** Cluster state stores. */

export { EmbeddedStore, withFileLock } from "./embedded.js";
export { emptyData, MemoryTxn, type StoreData } from "./memory.js";
export * from "./types.js";
