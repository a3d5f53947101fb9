/**
 * Tracing a packet through an iptables ruleset without a kernel, as kube-proxy's packet-flow tests
 * do: the first packet of a connection enters at nat PREROUTING (or OUTPUT, from the node), is
 * DNATed or not, crosses filter INPUT/FORWARD/OUTPUT and, unless delivered locally, nat POSTROUTING.
 * `-m statistic --mode random` splits the trace, so the result lists every outcome with its
 * probability. The mangle chains run where the kernel runs them when the ruleset has them (the
 * policy agent marks packets there), ipsets are consulted (matches.ts), and each outcome lists the
 * rules whose targets it took. The matches and targets are those podnet's rules (and the portmap
 * plugin's) use; anything else throws, so a rule the tracer cannot judge is never silently skipped.
 */
import { hostPort, ifaceMatches, inNet, marked, memberEntry, parseMark, portIn, portInList, type Sets } from "./matches.js";
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
  sport?: number;
}

/** TraceOptions say which addresses are the node's own and where the packet enters. */
export interface TraceOptions {
  local: (ip: string) => boolean;
  /** from is "outside" (a pod or another host: PREROUTING) or "node" (a local process: OUTPUT). */
  from: "outside" | "node";
  /** sets are the ipsets `-m set` and `-j SET` consult. */
  sets?: Sets;
  /** iif is the interface the packet came in on (for `-i`). */
  iif?: string;
  /** oif is the interface the packet leaves by, given its destination after DNAT (for `-o`). */
  oif?: (dst: string) => string | undefined;
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
  /** rules are the rules whose targets the packet took, as `table: -A CHAIN spec`, in order. */
  rules: string[];
}

interface State {
  dst: string;
  dport: number;
  mark: number;
  dnat?: string;
  masquerade: boolean;
  path: string[];
}

type End = "ACCEPT" | "DROP" | "REJECT" | "RETURN" | undefined;
interface Branch {
  p: number;
  st: State;
  end: End;
}

const TERMINAL = new Set(["ACCEPT", "DROP", "REJECT"]);

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
      if (flag === "--random-fully" || flag === "--map-mark") opts.set(flag, "");
      else if (flag === "--map-set") {
        opts.set(flag, `${v} ${a[i + 2] ?? ""}`);
        i += 2;
      } else {
        opts.set(flag, v);
        i++;
      }
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
        holds(portIn(v, st.dport));
        break;
      case "--dports":
        holds(portInList(v, st.dport));
        break;
      case "-i":
        holds(ifaceMatches(v, o.iif));
        break;
      case "-o":
        holds(ifaceMatches(v, o.oif?.(st.dst)));
        break;
      case "--match-set": {
        const set = o.sets?.get(v);
        if (!set) throw new Error(`tracePacket: no ipset "${v}" for "${spec}"`);
        holds(memberEntry(set, a[i + 2] ?? "src", { ...pkt, dst: st.dst, dport: st.dport }) !== undefined);
        i++;
        break;
      }
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
      case "--nfacct-name": // a counter, not a condition
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
      case "-g":
        target = v;
        opts.set("goto", "");
        i++;
        break;
      default:
        throw new Error(`tracePacket: unsupported rule argument "${flag}" in "${spec}"`);
    }
  }
  return target === undefined ? { p, opts } : { p, target, opts };
}

const NON_TERMINAL = new Set(["NFLOG", "LOG"]);

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
      const t = j.target;
      const st = t === undefined ? b.st : { ...b.st, path: [...b.st.path, `${table}: -A ${chain} ${spec}`] };
      if (t === undefined || NON_TERMINAL.has(t)) next.push({ p, st });
      else if (TERMINAL.has(t) || t === "RETURN") done.push({ p, st, end: t as End });
      else if (t === "DNAT") {
        const to = hostPort(j.opts.get("--to-destination") ?? "");
        done.push({
          p,
          st: { ...st, dst: to.ip, dport: to.port, dnat: `${to.ip.includes(":") ? `[${to.ip}]` : to.ip}:${to.port}` },
          end: "ACCEPT",
        });
      } else if (t === "MASQUERADE" || t === "SNAT") done.push({ p, st: { ...st, masquerade: true }, end: "ACCEPT" });
      else if (t === "MARK" || t === "SET") next.push({ p, st: { ...st, mark: marked(st, j.opts, pkt, o.sets) } });
      else
        for (const r of run(rules, table, t, pkt, o, { p, st }, depth + 1)) {
          // A goto (-g) does not come back: falling off the target chain returns from this one.
          if (r.end === "RETURN" || r.end === undefined) {
            if (j.opts.has("goto")) done.push({ ...r, end: "RETURN" });
            else next.push({ p: r.p, st: r.st });
          } else done.push(r);
        }
    }
    live = next;
  }
  for (const b of live) done.push({ ...b, end: undefined });
  return done;
}

/** builtin runs a built-in chain: falling off its end is its ACCEPT policy. A mangle chain the ruleset lacks is passed. */
function builtin(rules: RuleSource, table: Table, chain: string, pkt: Packet, o: TraceOptions, start: { p: number; st: State }): Branch[] {
  if (table === "mangle" && !rules(table, chain)) return [{ ...start, end: "ACCEPT" }];
  return run(rules, table, chain, pkt, o, start).map((b) => (b.end === undefined || b.end === "RETURN" ? { ...b, end: "ACCEPT" } : b));
}

/** stages runs built-in chains one after another; a branch that does not ACCEPT stops there. */
function stages(rules: RuleSource, pkt: Packet, o: TraceOptions, from: Branch[], chains: [Table, string][]): Branch[] {
  let live = from;
  for (const [table, chain] of chains)
    live = live.flatMap((b) => (b.end === "ACCEPT" ? builtin(rules, table, chain, pkt, o, { p: b.p, st: b.st }) : [b]));
  return live;
}

/** tracePacket lists every way the first packet of a connection can go through the ruleset. */
export function tracePacket(rules: RuleSource, pkt: Packet, o: TraceOptions): Outcome[] {
  const start: Branch = { p: 1, st: { dst: pkt.dst, dport: pkt.dport, mark: 0, masquerade: false, path: [] }, end: "ACCEPT" };
  const node = o.from === "node";
  const pre = stages(
    rules,
    pkt,
    o,
    [start],
    node
      ? [
          ["mangle", "OUTPUT"],
          ["nat", "OUTPUT"],
        ]
      : [
          ["mangle", "PREROUTING"],
          ["nat", "PREROUTING"],
        ],
  );
  const out: Outcome[] = [];
  for (const n of pre) {
    const local = o.local(n.st.dst);
    const filter: [Table, string][] = node
      ? [["filter", "OUTPUT"]]
      : local
        ? [
            ["mangle", "INPUT"],
            ["filter", "INPUT"],
          ]
        : [
            ["mangle", "FORWARD"],
            ["filter", "FORWARD"],
          ];
    const post: [Table, string][] =
      local && !node
        ? []
        : [
            ["mangle", "POSTROUTING"],
            ["nat", "POSTROUTING"],
          ];
    for (const f of stages(rules, pkt, o, [n], filter)) {
      const verdict = f.end as Outcome["verdict"];
      for (const x of verdict === "ACCEPT" ? stages(rules, pkt, o, [f], post) : [f])
        out.push({
          probability: x.p,
          verdict,
          masquerade: x.st.masquerade,
          mark: x.st.mark,
          rules: x.st.path,
          ...(x.st.dnat ? { dnat: x.st.dnat } : {}),
        });
    }
  }
  return out;
}
