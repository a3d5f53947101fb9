/**
 * Centralized egress (kube-ovn's centralized gateway) by policy routing. On a node that is not the
 * subnet's active gateway, traffic from the subnet first consults the main table without its
 * default route (`suppress_prefixlength 0`: pods, services and nodes stay on their usual paths),
 * and only what would leave the cluster falls through to a table of its own whose default route
 * points at the gateway node — over the underlay, or through the VXLAN device in vxlan mode. The
 * gateway node SNATs it to its own IP. Rules and routes carry protocol 81, so stale ones are found.
 */
import { createHash } from "node:crypto";
import { ROUTE_PROTO } from "./types.js";

/** PolicyRoute sends one subnet's outbound traffic to its gateway node. */
export interface PolicyRoute {
  from: string;
  table: number;
  via: string;
  dev?: string;
  onlink?: boolean;
}

/** RULE_PRIORITY is where podnet's rules sit: before main (32766), after local (0). */
export const RULE_PRIORITY = 1000;

/** policyTable gives a subnet's egress a stable routing table number (10000-59999). */
export function policyTable(subnet: string): number {
  return 10000 + (createHash("sha256").update(subnet).digest().readUInt32BE(0) % 50000);
}

/** KernelRule is the part of `ip -j rule show` the diff reads. */
export interface KernelRule {
  priority: number;
  src?: string;
  srclen?: number;
  table?: string;
  suppress_prefixlen?: number;
  protocol?: string;
}

/** KernelTableRoute is the part of `ip -j route show table all proto 81 type unicast` the diff reads. */
export interface KernelTableRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  table?: string;
  flags?: string[];
}

function ruleSrc(r: KernelRule): string {
  return r.srclen === undefined ? String(r.src) : `${r.src}/${r.srclen}`;
}

/** ruleKey names a rule by what it does: its source and table (main for the suppress rule). */
function ruleKey(r: KernelRule): string {
  return `${ruleSrc(r)} ${r.suppress_prefixlen === 0 ? "main" : r.table}`;
}

const wantedKeys = (p: PolicyRoute) => [`${p.from} main`, `${p.from} ${p.table}`];

function routeLine(p: PolicyRoute): string {
  const dev = p.dev ? ` dev ${p.dev}` : "";
  return `route replace default via ${p.via}${dev}${p.onlink ? " onlink" : ""} table ${p.table} proto ${ROUTE_PROTO}`;
}

/** policyBatch turns wanted policy routes and the kernel's into `ip -batch` text (empty when in sync). */
export function policyBatch(want: PolicyRoute[], rules: KernelRule[], routes: KernelTableRoute[]): string {
  const mine = rules.filter((r) => r.protocol === String(ROUTE_PROTO));
  const have = new Set(mine.map(ruleKey));
  // A subnet whose pair of rules is incomplete or unwanted loses what it has; complete pairs stay.
  const complete = new Set(want.filter((p) => wantedKeys(p).every((k) => have.has(k))).map((p) => p.from));
  const lines: string[] = [];
  for (const r of mine)
    if (!complete.has(ruleSrc(r))) lines.push(`rule del priority ${r.priority} from ${ruleSrc(r)} protocol ${ROUTE_PROTO}`);
  for (const r of routes.filter((x) => x.dst === "default" && !want.some((p) => String(p.table) === x.table)))
    lines.push(`route del default table ${r.table} proto ${ROUTE_PROTO}`);
  for (const p of want) {
    if (!complete.has(p.from))
      lines.push(
        `rule add from ${p.from} lookup main suppress_prefixlength 0 priority ${RULE_PRIORITY} protocol ${ROUTE_PROTO}`,
        `rule add from ${p.from} lookup ${p.table} priority ${RULE_PRIORITY + 1} protocol ${ROUTE_PROTO}`,
      );
    const r = routes.find((x) => x.dst === "default" && x.table === String(p.table));
    if (!r || r.gateway !== p.via || (p.dev !== undefined && r.dev !== p.dev)) lines.push(routeLine(p));
  }
  return lines.length ? `${lines.join("\n")}\n` : "";
}
