/**
 * EmbeddedStore keeps the lab's cluster state in one JSON file. Writers take a lock (proper-lockfile,
 * stale-lock aware) so concurrent CLI invocations serialise; a commit writes a temp file and renames
 * it over the old one, so a crash never leaves a torn file.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import lockfile from "proper-lockfile";
import { emptyData, MemoryTxn, type StoreData } from "./memory.js";
import { type Store, StoreError, type Txn } from "./types.js";

/** withFileLock runs fn while holding an exclusive lock named after path (shared by store and lab). */
export async function withFileLock<R>(path: string, fn: () => Promise<R>): Promise<R> {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, "", { flag: "a" });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      stale: 15_000,
      update: 5_000,
      realpath: false,
      retries: { retries: 600, minTimeout: 20, maxTimeout: 250, factor: 1.3 },
    });
  } catch (e) {
    throw new StoreError("lock", `"${path}"`, (e as Error).message);
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}

/** EmbeddedStore is a Store backed by a file on disk. */
export class EmbeddedStore implements Store {
  constructor(readonly file: string) {}

  async read<R>(fn: (tx: Txn) => R): Promise<R> {
    return fn(new MemoryTxn(this.load()));
  }

  async update<R>(fn: (tx: Txn) => R | Promise<R>): Promise<R> {
    return withFileLock(`${this.file}.lock`, async () => {
      const tx = new MemoryTxn(this.load());
      const result = await fn(tx);
      if (tx.dirty) this.save(tx.data);
      return result;
    });
  }

  /** version returns the store's current resource version (0 for an empty store). */
  version(): number {
    return this.load().resourceVersion;
  }

  private load(): StoreData {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return emptyData();
      throw new StoreError("read", `store "${this.file}"`, (e as Error).message);
    }
    try {
      return JSON.parse(text) as StoreData;
    } catch (e) {
      throw new StoreError("parse", `store "${this.file}"`, (e as Error).message);
    }
  }

  private save(data: StoreData): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(data));
    renameSync(tmp, this.file);
  }
}
