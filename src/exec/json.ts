/** Reading `ip -j …` / `bridge -j …` output: the commands podnet queries kernel state with. */
import type { Executor, NetnsRef } from "./types.js";

/** readJson runs a JSON-printing command; exit 1 (e.g. no such device) and empty output read as []. */
export async function readJson<T>(exec: Executor, netns: NetnsRef, argv: string[]): Promise<T[]> {
  const r = await exec.run({ argv, netns, okCodes: [0, 1] });
  return r.code === 0 && r.stdout.trim() ? (JSON.parse(r.stdout) as T[]) : [];
}
