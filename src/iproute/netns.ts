/** Network namespace lifecycle through the executor: create, list by prefix, stop what runs inside, delete. */
import type { Executor } from "../exec/types.js";
import { stopPids } from "../util/proc.js";

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

/** deleteNetns stops the processes inside a namespace and removes it; a missing namespace is fine. */
export async function deleteNetns(exec: Executor, name: string): Promise<void> {
  await stopPids(await pidsInNetns(exec, name));
  const r = await exec.run({ argv: ["ip", "netns", "del", name], netns: null, okCodes: [0, 1, 255] });
  if (r.code !== 0 && !/No such file/.test(r.stderr)) throw new Error(`failed to delete netns "${name}": ${r.stderr.trim()}`);
}
