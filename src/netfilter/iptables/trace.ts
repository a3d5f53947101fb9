/**
 * Tracing a packet through an iptables ruleset without a kernel, as kube-proxy's packet-flow tests
 * do: the first packet of a connection enters at nat PREROUTING (or OUTPUT, from the node), is
 * DNATed or not, crosses filter INPUT/FORWARD/OUTPUT and, unless delivered locally, nat POSTROUTING.
 * `-m statistic --mode random` splits the trace, so the result lists every outcome with its
 * probability. The matches and targets are those podnet's rules use; anything else throws, so a
 * rule the tracer cannot judge is never silently skipped.
 */
import { cidrContains, parseCIDR } from "../../util/ip.js";
import { splitArgs } from "./rule.js";
import type { Table } from "./types.js";

/** RuleSource gives a chain's rule specs (undefined: no such chain). */
export type RuleSource = (table: Table, chain: string) => readonly string[] | undefined;

/** Packet is the first packet of a connection. */
export interface Packet {
  src: string;
  dst: string;
  proto: "tcp" | "udp" | "sctp";
  dport: number;
}

/** TraceOptions say which addresses are the node's own and where the packet enters. */
export interface TraceOptions {
  local: (ip: string) => boolean;
  /** from is "outside" (a pod or another host: PREROUTING) or "node" (a local process: OUTPUT). */
  from: "outside" | "node";
}

/** Outcome is one way the packet can go, with its probability. */
export interface Outcome {
  probability: number;
  verdict: "ACCEPT" | "DROP" | "REJECT";
  /** dnat is where DNAT sent the packet (`ip:port`), if anywhere. */
  dnat?: string;
  masquerade: boolean;
}

interface State {
  dst: string;
  dport: number;
  mark: number;
  dnat?: string;
  masquerade: boolean;
}

type End = "ACCEPT" | "DROP" | "REJECT" | "RETURN" | undefined;
interface Branch {
  p: number;
  st: State;
  end: End;
}

const TERMINAL = new Set(["ACCEPT", "DROP", "REJECT"]);

function inNet(net: string, ip: string): boolean {
  const c = parseCIDR(net.includes("/") ? net : `${net}/${net.includes(":") ? 128 : 32}`);
  return c !== undefined && cidrContains(c, ip);
}

function parseMark(v: string): { value: number; mask: number } {
  const [value = "0", mask] = v.split("/");
  return { value: Number(value), mask: mask === undefined ? 0xffffffff : Number(mask) };
}

/** Judgement is whether a rule's matches hold (and with what probability), and its target with options. */
interface Judgement {
  p: number;
  target?: string;
  opts: Map<string, string>;
}

function judge(spec: string, pkt: Packet, st: State, o: TraceOptions): Judgement {
  const a = splitArgs(spec);
  let p = 1;
  let target: string | undefined;
  const opts = new Map<string, string>();
  for (let i = 0; i < a.length; i++) {
    const neg = a[i] === "!";
    if (neg) i++;
    const flag = a[i] as string;
    const v = a[i + 1] ?? "";
    const holds = (b: boolean) => {
      if (b === neg) p = 0;
      i++;
    };
    if (target !== undefined) {
      opts.set(flag, flag === "--random-fully" ? "" : v);
      if (flag !== "--random-fully") i++;
      continue;
    }
    switch (flag) {
      case "-s":
        holds(inNet(v, pkt.src));
        break;
      case "-d":
        holds(inNet(v, st.dst));
        break;
      case "-p":
        holds(v === pkt.proto);
        break;
      case "--dport":
        holds(Number(v) === st.dport);
        break;
      case "--dst-type":
        holds(v === "LOCAL" && o.local(st.dst));
        break;
      case "--src-type":
        holds(v === "LOCAL" && (o.from === "node" || o.local(pkt.src)));
        break;
      case "--mark": {
        const m = parseMark(v);
        holds((st.mark & m.mask) === m.value);
        break;
      }
      case "--ctstate":
        holds(v.split(",").some((s) => s === "NEW" || (s === "DNAT" && st.dnat !== undefined)));
        break;
      case "--probability": {
        const q = Number(v);
        p *= neg ? 1 - q : q;
        i++;
        break;
      }
      case "--rcheck":
        holds(false);
        i--;
        break; // a first packet: no client is remembered yet
      case "-m":
      case "--comment":
      case "--mode":
      case "--name":
      case "--seconds":
        i++;
        break;
      case "--set":
      case "--reap":
        break;
      case "-j":
        target = v;
        i++;
        break;
      default:
        throw new Error(`tracePacket: unsupported rule argument "${flag}" in "${spec}"`);
    }
  }
  return target === undefined ? { p, opts } : { p, target, opts };
}

function hostPort(to: string): { ip: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(to);
  if (!m) throw new Error(`tracePacket: cannot read DNAT destination "${to}"`);
  return { ip: m[1] as string, port: Number(m[2]) };
}

function run(
  rules: RuleSource,
  table: Table,
  chain: string,
  pkt: Packet,
  o: TraceOptions,
  start: { p: number; st: State },
  depth = 0,
): Branch[] {
  if (depth > 50) throw new Error(`tracePacket: jumps nest deeper than 50 at ${table}/${chain}`);
  const specs = rules(table, chain);
  if (!specs) throw new Error(`tracePacket: jump to missing chain ${table}/${chain}`);
  let live = [start];
  const done: Branch[] = [];
  for (const spec of specs) {
    const next: { p: number; st: State }[] = [];
    for (const b of live) {
      const j = judge(spec, pkt, b.st, o);
      if (j.p < 1) next.push({ p: b.p * (1 - j.p), st: b.st });
      if (j.p === 0) continue;
      const p = b.p * j.p;
      const st = { ...b.st };
      const t = j.target;
      if (t === undefined) next.push({ p, st });
      else if (TERMINAL.has(t) || t === "RETURN") done.push({ p, st, end: t as End });
      else if (t === "DNAT") {
        const to = hostPort(j.opts.get("--to-destination") ?? "");
        done.push({
          p,
          st: { ...st, dst: to.ip, dport: to.port, dnat: `${to.ip.includes(":") ? `[${to.ip}]` : to.ip}:${to.port}` },
          end: "ACCEPT",
        });
      } else if (t === "MASQUERADE") done.push({ p, st: { ...st, masquerade: true }, end: "ACCEPT" });
      else if (t === "MARK") {
        const or = j.opts.get("--or-mark");
        const xor = j.opts.get("--xor-mark");
        next.push({
          p,
          st: { ...st, mark: or !== undefined ? st.mark | Number(or) : xor !== undefined ? st.mark ^ Number(xor) : st.mark },
        });
      } else
        for (const r of run(rules, table, t, pkt, o, { p, st }, depth + 1)) {
          if (r.end === "RETURN" || r.end === undefined) next.push({ p: r.p, st: r.st });
          else done.push(r);
        }
    }
    live = next;
  }
  for (const b of live) done.push({ ...b, end: undefined });
  return done;
}

/** builtin runs a built-in chain: falling off its end is its ACCEPT policy. */
function builtin(rules: RuleSource, table: Table, chain: string, pkt: Packet, o: TraceOptions, start: { p: number; st: State }): Branch[] {
  return run(rules, table, chain, pkt, o, start).map((b) => (b.end === undefined || b.end === "RETURN" ? { ...b, end: "ACCEPT" } : b));
}

/** tracePacket lists every way the first packet of a connection can go through the ruleset. */
export function tracePacket(rules: RuleSource, pkt: Packet, o: TraceOptions): Outcome[] {
  const out: Outcome[] = [];
  const start = { p: 1, st: { dst: pkt.dst, dport: pkt.dport, mark: 0, masquerade: false } };
  for (const n of builtin(rules, "nat", o.from === "node" ? "OUTPUT" : "PREROUTING", pkt, o, start)) {
    const local = o.local(n.st.dst);
    const filterChain = o.from === "node" ? "OUTPUT" : local ? "INPUT" : "FORWARD";
    for (const f of builtin(rules, "filter", filterChain, pkt, o, n)) {
      const verdict = f.end as Outcome["verdict"];
      const post = verdict === "ACCEPT" && !(local && o.from === "outside") ? builtin(rules, "nat", "POSTROUTING", pkt, o, f) : [f];
      for (const x of post) out.push({ probability: x.p, verdict, masquerade: x.st.masquerade, ...(x.st.dnat ? { dnat: x.st.dnat } : {}) });
    }
  }
  return out;
}
