/**
 * Stale UDP conntrack entries (seed 002): UDP has no connection end, so an entry DNATed to an
 * endpoint that is gone keeps blackholing the client's "connection" until it times out. After a
 * sync, flows to removed UDP endpoints are deleted, and so are flows to a service IP that had no
 * endpoints (they were created without DNAT and would otherwise bypass the new rules).
 */
import type { Executor, NetnsRef } from "../exec/types.js";
import type { PortRules } from "./iptables/render.js";

/** ConntrackFlush is one `conntrack -D` filter. */
export interface ConntrackFlush {
  family: 4 | 6;
  /** origDst matches the service address the client used; origPortDst a NodePort. */
  origDst?: string;
  origPortDst?: number;
  /** dstNat narrows to flows DNATed to this endpoint IP. */
  dstNat?: string;
}

function used(r: PortRules | null | undefined): Set<string> {
  return new Set([...(r?.cat.cluster ?? []), ...(r?.cat.local ?? [])].map((e) => e.ip));
}

/** staleFlows lists the deletions one UDP port's change calls for. */
export function staleFlows(before: PortRules | undefined, after: PortRules | null): ConntrackFlush[] {
  const sp = after?.sp ?? before?.sp;
  if (!sp || sp.protocol !== "UDP") return [];
  const family = sp.family;
  const ips = [sp.clusterIP, ...sp.externalIPs, ...sp.loadBalancerVIPs];
  const out: ConntrackFlush[] = [];
  const was = used(before);
  const now = used(after);
  for (const ep of was) {
    if (now.has(ep)) continue;
    for (const ip of ips) out.push({ family, origDst: ip, dstNat: ep });
    if (sp.nodePort) out.push({ family, origPortDst: sp.nodePort, dstNat: ep });
  }
  if (was.size === 0 && now.size > 0) {
    for (const ip of ips) out.push({ family, origDst: ip });
    if (sp.nodePort) out.push({ family, origPortDst: sp.nodePort });
  }
  return out;
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
