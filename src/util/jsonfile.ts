/** Status files that daemons write and the lab reads: replaced atomically, read as absent while missing or half-written. */
import { readFileSync, renameSync, writeFileSync } from "node:fs";

/** writeJsonAtomic writes a value as JSON through a temporary file and a rename. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, file);
}

/** readJson reads a JSON file, or undefined when it does not exist or does not parse. */
export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}
