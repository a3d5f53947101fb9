/**
 * EmbeddedStore keeps the lab's cluster state in one JSON file. Writers take a flock on a lock
 * file beside it, so concurrent CLI invocations serialise and a killed one never leaves the lock
 * behind; a commit writes a temp file and renames it over the old one, so a crash never leaves a
 * torn file. The file is made once, by `create`: afterwards a missing, torn or foreign file (no
 * longer holding the objects every cluster has) is an error for every reader and writer — never an
 * empty cluster, which would have the proxies delete every Service's rules.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { LockTimeoutError, withFlock } from "../util/flock.js";
import { emptyData, MemoryTxn, type StoreData } from "./memory.js";
import { keyString, type ObjectKey, type Store, StoreError, type Txn } from "./types.js";

/** withFileLock runs fn while holding an exclusive lock on path (shared by the lab's commands); it waits up to 10 minutes. */
export async function withFileLock<R>(path: string, fn: () => Promise<R>, timeoutMs = 600_000): Promise<R> {
  mkdirSync(dirname(path), { recursive: true });
  try {
    return await withFlock(path, fn, timeoutMs);
  } catch (e) {
    if (e instanceof LockTimeoutError) throw new StoreError("lock", `"${path}"`, e.message);
    throw e;
  }
}

/** StoreOptions: required are objects every state of this store holds (the lab's: Namespace "default"). */
export interface StoreOptions {
  required?: ObjectKey[];
}

/** readStoreFile reads and checks a store file: it must exist, parse, have the store's shape and hold the required objects. */
export function readStoreFile(file: string, required: ObjectKey[] = []): StoreData {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "it does not exist (was the state removed? the lab must be taken down and up again)" : (e as Error).message;
    throw new StoreError("read", `store "${file}"`, why);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new StoreError("parse", `store "${file}"`, (e as Error).message);
  }
  const d = data as Partial<StoreData> | null;
  if (
    typeof d !== "object" ||
    d === null ||
    Array.isArray(d) ||
    typeof d.resourceVersion !== "number" ||
    typeof d.objects !== "object" ||
    d.objects === null ||
    Array.isArray(d.objects)
  )
    throw new StoreError(
      "read",
      `store "${file}"`,
      `not a store: want {"resourceVersion": N, "objects": {…}}, found ${JSON.stringify(data)?.slice(0, 60)}`,
    );
  for (const k of required)
    if (!d.objects[keyString(k)])
      throw new StoreError(
        "read",
        `store "${file}"`,
        `it holds no ${k.kind} "${k.name}", which every cluster has: it was replaced or emptied; not reading it as an empty cluster`,
      );
  return d as StoreData;
}

/** EmbeddedStore is a Store backed by a file on disk. */
export class EmbeddedStore implements Store {
  /** lastRead is the version the last update that returned read at. */
  lastRead: number | undefined;
  private readonly required: ObjectKey[];
  constructor(
    readonly file: string,
    options: StoreOptions = {},
  ) {
    this.required = options.required ?? [];
  }

  /** create makes the store file with what seed writes (it fails if the file exists). */
  async create(seed: (tx: Txn) => void): Promise<void> {
    await withFileLock(`${this.file}.lock`, async () => {
      if (existsSync(this.file)) throw new StoreError("create", `store "${this.file}"`, "it exists already");
      const tx = new MemoryTxn(emptyData());
      seed(tx);
      this.save(tx.data);
    });
  }

  async read<R>(fn: (tx: Txn) => R): Promise<R> {
    return fn(new MemoryTxn(this.load()));
  }

  async update<R>(fn: (tx: Txn) => R | Promise<R>): Promise<R> {
    return withFileLock(`${this.file}.lock`, async () => {
      const data = this.load();
      const readAt = data.resourceVersion;
      const tx = new MemoryTxn(data);
      const result = await fn(tx);
      if (tx.dirty) this.save(tx.data);
      this.lastRead = readAt;
      return result;
    });
  }

  /** version returns the store's current resource version. */
  version(): number {
    return this.load().resourceVersion;
  }

  private load(): StoreData {
    return readStoreFile(this.file, this.required);
  }

  private save(data: StoreData): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(data));
    renameSync(tmp, this.file);
  }
}
