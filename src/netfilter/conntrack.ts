/**
 * Deleting conntrack entries (`conntrack -D`): after a UDP endpoint goes, flows DNATed to it would
 * keep blackholing their clients until they time out (seed 002), so the proxy deletes them.
 */
import type { Executor, NetnsRef } from "../exec/types.js";

/** ConntrackFlush is one `conntrack -D` filter. */
export interface ConntrackFlush {
  family: 4 | 6;
  /** origDst matches the service address the client used; origPortDst a NodePort. */
  origDst?: string;
  origPortDst?: number;
  /** dstNat narrows to flows DNATed to this endpoint IP. */
  dstNat?: string;
}

/** conntrackArgv renders one deletion as a conntrack command line. */
export function conntrackArgv(f: ConntrackFlush): string[] {
  const argv = ["conntrack", "-D", "-f", f.family === 6 ? "ipv6" : "ipv4", "-p", "udp"];
  if (f.origDst) argv.push("--orig-dst", f.origDst);
  if (f.origPortDst) argv.push("--orig-port-dst", String(f.origPortDst));
  if (f.dstNat) argv.push("--dst-nat", f.dstNat);
  return argv;
}

/** flushConntrack runs the deletions; "0 flow entries deleted" (exit 1) is not an error. */
export async function flushConntrack(exec: Executor, netns: NetnsRef, flows: ConntrackFlush[]): Promise<void> {
  for (const f of flows) await exec.run({ argv: conntrackArgv(f), netns, okCodes: [0, 1] });
}
