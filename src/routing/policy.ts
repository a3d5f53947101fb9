/**
 * Centralized egress (kube-ovn's centralized gateway) by policy routing. On a node that is not the
 * subnet's active gateway, traffic from the subnet first consults the main table without its
 * default route (`suppress_prefixlength 0`: pods, services and nodes stay on their usual paths),
 * and only what would leave the cluster falls through to a table of its own whose default route
 * points at the gateway node — over the underlay, or through the VXLAN device in vxlan mode. The
 * gateway node SNATs it to its own IP. Rules and routes carry protocol 81, so stale ones are found.
 */
import { createHash } from "node:crypto";
import type { IpTransaction, Route, Rule } from "../iproute/index.js";
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

/** ruleKey names a rule by what it does: its source and table (main for the suppress rule). */
const ruleKey = (r: Rule) => `${r.from} ${r.suppressPrefixLength === 0 ? "main" : r.table}`;
const wantedKeys = (p: PolicyRoute) => [`${p.from} main`, `${p.from} ${p.table}`];

/** policyRules are a subnet's two rules: its own table after the main table without default routes. */
export function policyRules(p: PolicyRoute): Rule[] {
  return [
    { from: p.from, table: "main", suppressPrefixLength: 0, priority: RULE_PRIORITY, protocol: ROUTE_PROTO },
    { from: p.from, table: p.table, priority: RULE_PRIORITY + 1, protocol: ROUTE_PROTO },
  ];
}

/** policyDefault is the default route of a subnet's table. */
export function policyDefault(p: PolicyRoute): Route {
  return {
    dst: "default",
    via: p.via,
    ...(p.dev ? { dev: p.dev } : {}),
    ...(p.onlink ? { onlink: true } : {}),
    table: p.table,
    proto: ROUTE_PROTO,
  };
}

/** planPolicy adds the changes that bring the kernel's rules (all) and protocol-81 routes of other tables to the wanted policy routes. */
export function planPolicy(tx: IpTransaction, want: PolicyRoute[], rules: Rule[], routes: Route[]): void {
  const mine = rules.filter((r) => r.protocol === ROUTE_PROTO);
  const have = new Set(mine.map(ruleKey));
  // A subnet whose pair of rules is incomplete or unwanted loses what it has; complete pairs stay.
  const complete = new Set(want.filter((p) => wantedKeys(p).every((k) => have.has(k))).map((p) => p.from));
  for (const r of mine)
    if (!complete.has(r.from)) tx.delRule({ from: r.from, table: r.table, priority: r.priority, protocol: ROUTE_PROTO });
  const defaults = routes.filter((x) => x.dst === "default" && x.table !== undefined);
  for (const r of defaults.filter((x) => !want.some((p) => p.table === x.table)))
    tx.delRoute({ dst: "default", table: r.table, proto: ROUTE_PROTO });
  for (const p of want) {
    if (!complete.has(p.from)) for (const r of policyRules(p)) tx.addRule(r);
    const r = defaults.find((x) => x.table === p.table);
    if (!r || r.via !== p.via || (p.dev !== undefined && r.dev !== p.dev)) tx.replaceRoute(policyDefault(p));
  }
}
