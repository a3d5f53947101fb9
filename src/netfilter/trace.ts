/**
 * Tracing the first packet of a connection through a node's netfilter without a kernel, as
 * kube-proxy's packet-flow tests do, whatever wrote the rules: iptables' built-in chains and
 * nftables' base chains are both chains the kernel calls at a hook, in priority order. The packet
 * enters at PREROUTING (or OUTPUT, from the node), may be DNATed, is routed to INPUT or FORWARD
 * and, unless delivered locally, leaves through POSTROUTING. A random choice splits the trace, so
 * the result lists every outcome with its probability. As in the kernel, once one NAT chain of a
 * hook has bound the connection the hook's later NAT chains are skipped.
 */
import type { Sets } from "./iptables/matches.js";

/** Packet is the first packet of a connection. */
export interface Packet {
  src: string;
  dst: string;
  proto: "tcp" | "udp" | "sctp";
  dport: number;
  sport?: number;
}

/** TraceOptions say which addresses are the node's own and where the packet enters. */
export interface TraceOptions {
  local: (ip: string) => boolean;
  /** from is "outside" (a pod or another host: PREROUTING) or "node" (a local process: OUTPUT). */
  from: "outside" | "node";
  /** sets are the ipsets `-m set` and `-j SET` consult. */
  sets?: Sets;
  /** iif is the interface the packet came in on (for `-i`, `iifname`). */
  iif?: string;
  /** oif is the interface the packet leaves by, given its destination after DNAT (for `-o`, `oifname`). */
  oif?: (dst: string) => string | undefined;
  /** recent says whether the kernel's `-m recent` list of that name holds the address (`/proc/net/xt_recent`). */
  recent?: (name: string, ip: string) => boolean;
}

/** Outcome is one way the packet can go, with its probability. */
export interface Outcome {
  probability: number;
  verdict: "ACCEPT" | "DROP" | "REJECT";
  /** dnat is where DNAT sent the packet (`ip:port`), if anywhere. */
  dnat?: string;
  masquerade: boolean;
  /** mark is the packet's mark at the end. */
  mark: number;
  /** rules are the rules whose verdicts or targets the packet took, in order (`nat: -A CHAIN spec`, `ip kube-proxy services: …`). */
  rules: string[];
}

/** TraceState is what rules change as the packet goes: its destination, mark, NAT and the rules taken. */
export interface TraceState {
  dst: string;
  dport: number;
  mark: number;
  dnat?: string;
  masquerade: boolean;
  path: string[];
}

/** End is how a chain left the packet: a verdict, a return, or falling off its end (undefined). */
export type End = "ACCEPT" | "DROP" | "REJECT" | "RETURN" | undefined;

/** Branch is one way through a chain, with its probability. */
export interface Branch {
  p: number;
  st: TraceState;
  end: End;
}

/** Hook is where the kernel calls a base chain. */
export type Hook = "prerouting" | "input" | "forward" | "output" | "postrouting";

/** HookChain is a chain the kernel calls at a hook: an iptables built-in chain or an nftables base chain. */
export interface HookChain {
  hook: Hook;
  priority: number;
  /** nat marks NAT chains, which the kernel stops calling once one of them has bound the connection. */
  nat: boolean;
  name: string;
  /** run traverses the chain; every branch it returns ends ACCEPT, DROP or REJECT (the chain's policy applied). */
  run(pkt: Packet, o: TraceOptions, start: { p: number; st: TraceState }): Branch[];
}

/**
 * returnFrom sorts the branches of a called chain: those that fell off its end or returned go on
 * in the caller (into next) after a jump, but leave the caller too after a goto; verdicts end (done).
 */
export function returnFrom(called: Branch[], isGoto: boolean, next: { p: number; st: TraceState }[], done: Branch[]): void {
  for (const r of called) {
    if (r.end !== "RETURN" && r.end !== undefined) done.push(r);
    else if (isGoto) done.push({ ...r, end: "RETURN" });
    else next.push({ p: r.p, st: r.st });
  }
}

/** formatDnat writes a DNAT destination as `ip:port` (`[v6]:port`). */
export const formatDnat = (ip: string, port: number) => `${ip.includes(":") ? `[${ip}]` : ip}:${port}`;

/** hook runs a hook's base chains in priority order; a branch that does not ACCEPT stops there. */
function hook(chains: readonly HookChain[], at: Hook, pkt: Packet, o: TraceOptions, from: Branch[]): Branch[] {
  const called = chains.filter((c) => c.hook === at).sort((a, b) => a.priority - b.priority);
  let live = from.map((b) => ({ b, bound: false }));
  for (const c of called)
    live = live.flatMap(({ b, bound }) => {
      if (b.end !== "ACCEPT" || (c.nat && bound)) return [{ b, bound }];
      return c.run(pkt, o, { p: b.p, st: b.st }).map((r) => ({
        b: r,
        bound: bound || (c.nat && (r.st.dnat !== b.st.dnat || r.st.masquerade !== b.st.masquerade)),
      }));
    });
  return live.map(({ b }) => b);
}

/** tracePacket lists every way the first packet of a connection can go through the node's base chains. */
export function tracePacket(chains: readonly HookChain[], pkt: Packet, o: TraceOptions): Outcome[] {
  const start: Branch = { p: 1, st: { dst: pkt.dst, dport: pkt.dport, mark: 0, masquerade: false, path: [] }, end: "ACCEPT" };
  const node = o.from === "node";
  const out: Outcome[] = [];
  for (const n of hook(chains, node ? "output" : "prerouting", pkt, o, [start])) {
    const local = o.local(n.st.dst);
    const filtered = node ? [n] : hook(chains, local ? "input" : "forward", pkt, o, [n]);
    for (const f of filtered) {
      const leaves = f.end === "ACCEPT" && !(local && !node);
      for (const x of leaves ? hook(chains, "postrouting", pkt, o, [f]) : [f])
        out.push({
          probability: x.p,
          verdict: x.end as Outcome["verdict"],
          masquerade: x.st.masquerade,
          mark: x.st.mark,
          rules: x.st.path,
          ...(x.st.dnat ? { dnat: x.st.dnat } : {}),
        });
    }
  }
  return out;
}
