/**
 * Narrowing a failed check to its cause: pure functions over the facts gathered from the nodes a
 * path crosses. The order is the troubleshooting guide's: the node's own settings first (forwarding,
 * the FORWARD policy), then what the routing mode should have programmed (the routing agent's plan
 * against the kernel as it is: every change it would make is a piece of evidence), then the
 * underlay (MTU), then the services layer (proxy, rules, endpoints).
 */
import type { Finding } from "./causes.js";

/** NodeFacts is what doctor read on one node. */
export interface NodeFacts {
  node: string;
  ipForward: boolean;
  /** rpFilter is net.ipv4.conf.<uplink>.rp_filter and .all.rp_filter (the kernel uses the larger). */
  rpFilter: { uplink: number; all: number };
  /** forwardPolicy is the filter FORWARD chain's policy. */
  forwardPolicy: string;
  uplink: { name: string; mtu: number };
  /** drift lists the changes the routing agent would make now, as `<tool>: <line>` ("" when in sync). */
  drift: string[];
  /** bird is BIRD's state in bgp mode: running, and the sessions that are not Established. */
  bird?: { running: boolean; down: string[] };
  proxy: { running: boolean; error?: string; rules: boolean };
  /** agentErrors are the errors the node agents report, as `<agent>: <error>`. */
  agentErrors: string[];
}

const on = (f: NodeFacts, what: string) => `${f.node}: ${what}`;

/** nodeConfigFinding is what is wrong with a node's own settings, if anything. */
export function nodeConfigFinding(f: NodeFacts): Finding | undefined {
  if (!f.ipForward) return { cause: "ip-forward-disabled", evidence: [on(f, "net.ipv4.ip_forward = 0")] };
  if (f.forwardPolicy === "DROP") return { cause: "forward-policy-drop", evidence: [on(f, "-P FORWARD DROP (iptables -S FORWARD)")] };
  const rp = Math.max(f.rpFilter.uplink, f.rpFilter.all);
  if (rp === 1)
    return {
      cause: "rp-filter-strict",
      evidence: [on(f, `net.ipv4.conf.${f.uplink.name}.rp_filter = ${f.rpFilter.uplink}, net.ipv4.conf.all.rp_filter = ${f.rpFilter.all}`)],
    };
  return undefined;
}

/** routingFinding classifies a node's routing drift. */
export function routingFinding(f: NodeFacts): Finding | undefined {
  if (f.bird && !f.bird.running)
    return { cause: "bgp-daemon-down", evidence: [on(f, "no BIRD process (its pid file names none that runs)")] };
  if (f.bird && f.bird.down.length > 0) return { cause: "bgp-session-down", evidence: f.bird.down.map((s) => on(f, `BGP session ${s}`)) };
  if (f.drift.length === 0) return undefined;
  const evidence = f.drift.map((d) => on(f, `missing, the routing agent would run: ${d}`));
  return { cause: f.drift.some((d) => / fdb /.test(` ${d} `)) ? "vxlan-fdb-missing" : "route-missing", evidence };
}

/** mtuFinding says whether the nodes' uplinks disagree on their MTU. */
export function mtuFinding(all: NodeFacts[]): Finding | undefined {
  const mtus = new Set(all.map((f) => f.uplink.mtu));
  if (mtus.size <= 1) return undefined;
  return { cause: "mtu-mismatch", evidence: all.map((f) => on(f, `${f.uplink.name} mtu ${f.uplink.mtu}`)) };
}

/** ROUTING_ORDER ranks routing causes: a BGP session is down because a daemon is, so the daemon is named first. */
const ROUTING_ORDER = ["bgp-daemon-down", "vxlan-fdb-missing", "route-missing", "bgp-session-down"] as const;

/** pathFinding narrows a failed pod-to-pod (or pod-to-outside) path through the nodes it crosses. */
export function pathFinding(path: NodeFacts[], all: NodeFacts[]): Finding {
  for (const f of path) {
    const c = nodeConfigFinding(f);
    if (c && c.cause !== "rp-filter-strict") return c;
  }
  const routing = path.flatMap((f) => routingFinding(f) ?? []);
  for (const cause of ROUTING_ORDER) {
    const hits = routing.filter((r) => r.cause === cause);
    if (hits.length > 0) return { cause, evidence: hits.flatMap((h) => h.evidence) };
  }
  const m = mtuFinding(all);
  if (m) return m;
  for (const f of path) {
    const c = nodeConfigFinding(f);
    if (c) return c;
  }
  return { cause: "unknown", evidence: path.map((f) => on(f, "forwarding on, FORWARD accepts, routes as planned, MTUs agree")) };
}

/** serviceFinding narrows a failed ClusterIP connection from node `src`'s pod, given the Service's ready endpoints. */
export function serviceFinding(src: NodeFacts, endpoints: number, path: () => Finding): Finding {
  if (!src.proxy.running && !src.proxy.rules) return { cause: "proxy-down", evidence: [on(src, "no proxy process, and no service rules")] };
  if (!src.proxy.rules) return { cause: "service-rules-missing", evidence: [on(src, "the proxy runs, but its service rules are missing")] };
  if (src.proxy.error) return { cause: "agent-error", evidence: [on(src, `proxy: ${src.proxy.error}`)] };
  if (endpoints === 0) return { cause: "service-no-endpoints", evidence: ["the Service's EndpointSlices hold no ready endpoint"] };
  return path();
}
