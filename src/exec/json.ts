/** Reading `ip -j …` / `bridge -j …` output: the commands podnet queries kernel state with. */
import type { Executor, NetnsRef } from "./types.js";

/** readJson runs a JSON-printing command; exit 1 (e.g. no such device) and empty output read as []. */
export async function readJson<T>(exec: Executor, netns: NetnsRef, argv: string[]): Promise<T[]> {
  const r = await exec.run({ argv, netns, okCodes: [0, 1] });
  return r.code === 0 && r.stdout.trim() ? (JSON.parse(r.stdout) as T[]) : [];
}

/** readRoutes reads the routes of a protocol (`ip -j route show proto P`) of each family: IPv6 needs a query of its own. */
export async function readRoutes<T>(exec: Executor, netns: NetnsRef, proto: string, families: readonly (4 | 6)[]): Promise<T[]> {
  const out: T[] = [];
  for (const f of families) out.push(...(await readJson<T>(exec, netns, ["ip", `-${f}`, "-j", "route", "show", "proto", proto])));
  return out;
}
