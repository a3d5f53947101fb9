/**
 * Ctrl-C during a benchmark: the namespaces under the prefixes the benchmark registered (its labs',
 * its reference networks') are deleted — which stops the processes inside — and its temp dirs
 * removed. Only registered prefixes are touched, never another run's namespaces.
 */
import { rmSync } from "node:fs";
import type { Executor } from "../src/exec/types.js";
import { deleteNetns, listNetns } from "../src/iproute/netns.js";

const dirs = new Set<string>();
const cleanups = new Set<() => Promise<unknown>>();
const prefixes = new Set<string>();

/** trackDir removes dir on interrupt. */
export function trackDir(dir: string): string {
  dirs.add(dir);
  return dir;
}

/** trackNetns deletes the namespaces starting with prefix on interrupt. */
export function trackNetns(prefix: string): string {
  prefixes.add(prefix);
  return prefix;
}

/** trackCleanup runs fn first on interrupt (e.g. `lab down`, which stops what the lab started); the returned function forgets it. */
export function trackCleanup(fn: () => Promise<unknown>): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** cleanupOnInterrupt installs the SIGINT/SIGTERM handler. */
export function cleanupOnInterrupt(exec: Executor): void {
  const onSignal = async () => {
    process.stderr.write("interrupted: removing the benchmark's namespaces…\n");
    for (const fn of cleanups) await fn().catch(() => {});
    for (const p of prefixes) for (const n of await listNetns(exec, p)) await deleteNetns(exec, n).catch(() => {});
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    process.exit(130);
  };
  process.once("SIGINT", onSignal).once("SIGTERM", onSignal);
}
