/** Network namespace lifecycle through the executor: create, list by prefix, stop what runs inside, delete. */
import { readFileSync } from "node:fs";
import type { Executor } from "../exec/types.js";

/** createNetns adds a named namespace with loopback up. */
export async function createNetns(exec: Executor, name: string): Promise<void> {
  await exec.run({ argv: ["ip", "netns", "add", name], netns: null });
  await exec.run({ argv: ["ip", "link", "set", "lo", "up"], netns: name });
}

/** listNetns lists the named namespaces that start with prefix. */
export async function listNetns(exec: Executor, prefix: string): Promise<string[]> {
  const r = await exec.run({ argv: ["ip", "netns", "list"], netns: null });
  return r.stdout
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(prefix));
}

/** pidsInNetns lists the processes whose network namespace is the named one. */
export async function pidsInNetns(exec: Executor, name: string): Promise<number[]> {
  const r = await exec.run({ argv: ["ip", "netns", "pids", name], netns: null, okCodes: [0, 1, 255] });
  return r.stdout
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((n) => n > 1 && n !== process.pid);
}

/** processAlive says whether a PID exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** stopPids sends SIGTERM, waits up to a second, then SIGKILLs what is left. */
export async function stopPids(pids: number[]): Promise<void> {
  for (const p of pids) {
    try {
      process.kill(p, "SIGTERM");
    } catch {}
  }
  for (let i = 0; i < 20 && pids.some(processAlive); i++) await new Promise((r) => setTimeout(r, 50));
  for (const p of pids.filter(processAlive)) {
    try {
      process.kill(p, "SIGKILL");
    } catch {}
  }
}

/** pidLooksLike says whether a PID still runs a command line containing marker (guards against PID reuse). */
export function pidLooksLike(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker);
  } catch {
    return false;
  }
}

/** deleteNetns stops the processes inside a namespace and removes it; a missing namespace is fine. */
export async function deleteNetns(exec: Executor, name: string): Promise<void> {
  await stopPids(await pidsInNetns(exec, name));
  const r = await exec.run({ argv: ["ip", "netns", "del", name], netns: null, okCodes: [0, 1, 255] });
  if (r.code !== 0 && !/No such file/.test(r.stderr))
    throw new Error(`failed to delete netns "${name}": ${r.stderr.trim()}`);
}
