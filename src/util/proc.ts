/** Processes podnet started, looked up and stopped by PID (never by name). */
import { readFileSync } from "node:fs";

/** processAlive says whether a PID runs. A zombie does not: it has exited and only waits for its reaper. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
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
