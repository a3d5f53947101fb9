/**
 * Stale UDP conntrack entries (seed 002): UDP has no connection end, so an entry DNATed to an
 * endpoint that is gone keeps blackholing the client's "connection" until it times out. After a
 * sync, flows to removed UDP endpoints are deleted, and so are flows to a service IP that had no
 * endpoints (they were created without DNAT and would otherwise bypass the new rules).
 */
import type { ConntrackFlush } from "../netfilter/conntrack.js";
import type { AppliedPort } from "./categorize.js";

function used(r: AppliedPort | null | undefined): Set<string> {
  return new Set([...(r?.cat.cluster ?? []), ...(r?.cat.local ?? [])].map((e) => e.ip));
}

/** staleFlows lists the deletions one UDP port's change calls for. */
export function staleFlows(before: AppliedPort | undefined, after: AppliedPort | null): ConntrackFlush[] {
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
