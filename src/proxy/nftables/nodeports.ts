/**
 * Which addresses take NodePorts in nftables mode, as kube-proxy's --nodeport-addresses: none
 * given means the node's primary IPs (nftables mode's default, "primary"); a CIDR that covers
 * everything (0.0.0.0/0, ::/0) means every local address but loopback; other CIDRs pick the
 * node's own addresses inside them. Loopback never takes NodePorts in this mode.
 */
import type { Executor, NetnsRef } from "../../exec/types.js";
import { cidrContains, parseCIDR } from "../../util/ip.js";
import type { Family } from "../types.js";

/** nodePortIPsOf resolves --nodeport-addresses against known addresses (the node IPs when rendering). */
export function nodePortIPsOf(family: Family, nodeIPs: string[], cidrs: string[], local: string[] = nodeIPs): string[] | "all" {
  const fam = (ip: string) => ip.includes(":") === (family === 6);
  if (cidrs.length === 0) return nodeIPs.filter(fam);
  const mine = cidrs.filter(fam);
  if (mine.some((c) => c.endsWith("/0"))) return "all";
  const parsed = mine.flatMap((c) => parseCIDR(c) ?? []);
  return local.filter((ip) => fam(ip) && !ip.startsWith("127.") && ip !== "::1" && parsed.some((p) => cidrContains(p, ip)));
}

/** nodePortIPs resolves --nodeport-addresses for one family. */
export async function nodePortIPs(
  exec: Executor,
  netns: NetnsRef,
  family: Family,
  nodeIPs: string[],
  cidrs: string[],
): Promise<string[] | "all"> {
  const first = nodePortIPsOf(family, nodeIPs, cidrs, []);
  if (cidrs.length === 0 || first === "all") return first;
  const r = await exec.run({ argv: ["ip", "-j", `-${family}`, "address", "show"], netns });
  const local = (JSON.parse(r.stdout || "[]") as { addr_info?: { local?: string }[] }[]).flatMap((l) =>
    (l.addr_info ?? []).flatMap((a) => (a.local ? [a.local] : [])),
  );
  return nodePortIPsOf(family, nodeIPs, cidrs, local);
}
