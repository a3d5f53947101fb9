/**
 * An iptables ruleset as base chains a trace runs (../trace.ts): each built-in chain at its hook
 * and table priority, its rules judged one by one. `-m statistic --mode random` splits the trace;
 * ipsets are consulted (matches.ts); each branch records the rules whose targets it took. The
 * matches and targets are those podnet's rules (and the portmap plugin's) use; anything else
 * throws, so a rule the tracer cannot judge is never silently skipped.
 */ import { hostPort, ifaceMatches, inNet, marked, memberEntry, parseMark, portIn, portInList } from "./matches.js";
import {
  type HookChain,
  type Branch,
  type End,
  formatDnat,
  type Hook,
  type Packet,
  returnFrom,
  type TraceOptions,
  type TraceState,
} from "../trace.js";
import { splitArgs } from "./rule.js";
import type { Table } from "./types.js";

/** RuleSource gives a chain's rule specs (undefined: no such chain). */
export type RuleSource = (table: Table, chain: string) => readonly string[] | undefined;

const TERMINAL = new Set(["ACCEPT", "DROP", "REJECT"]);

/** Judgement is whether a rule's matches hold (and with what probability), and its target with options. */
interface Judgement {
  p: number;
  target?: string;
  opts: Map<string, string>;
}

function judge(spec: string, pkt: Packet, st: TraceState, o: TraceOptions): Judgement {
  const a = splitArgs(spec);
  let p = 1;
  let target: string | undefined;
  const opts = new Map<string, string>();
  let recentName = "DEFAULT";
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
        // A client the kernel's recent list remembers (kube-proxy's ClientIP affinity) is pinned; the entry's age is not compared.
        holds(o.recent?.(recentName, pkt.src) ?? false);
        i--;
        break;
      case "--name":
        recentName = v;
        i++;
        break;
      case "--nfacct-name": // a counter, not a condition
      case "-m":
      case "--comment":
      case "--mode":
      case "--seconds":
      case "--mask":
        i++;
        break;
      case "--set":
      case "--reap":
      case "--rsource":
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
  start: { p: number; st: TraceState },
  depth = 0,
): Branch[] {
  if (depth > 50) throw new Error(`tracePacket: jumps nest deeper than 50 at ${table}/${chain}`);
  const specs = rules(table, chain);
  if (!specs) throw new Error(`tracePacket: jump to missing chain ${table}/${chain}`);
  let live = [start];
  const done: Branch[] = [];
  for (const spec of specs) {
    const next: { p: number; st: TraceState }[] = [];
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
          st: { ...st, dst: to.ip, dport: to.port, dnat: formatDnat(to.ip, to.port) },
          end: "ACCEPT",
        });
      } else if (t === "MASQUERADE" || t === "SNAT") done.push({ p, st: { ...st, masquerade: true }, end: "ACCEPT" });
      else if (t === "MARK" || t === "SET") next.push({ p, st: { ...st, mark: marked(st, j.opts, pkt, o.sets) } });
      else returnFrom(run(rules, table, t, pkt, o, { p, st }, depth + 1), j.opts.has("goto"), next, done);
    }
    live = next;
  }
  for (const b of live) done.push({ ...b, end: undefined });
  return done;
}

/** BUILTIN are the built-in chains a trace calls, by hook, with their tables' priorities. */
const BUILTIN: [Table, string, Hook, number][] = [
  ["mangle", "PREROUTING", "prerouting", -150],
  ["nat", "PREROUTING", "prerouting", -100],
  ["mangle", "INPUT", "input", -150],
  ["filter", "INPUT", "input", 0],
  ["mangle", "FORWARD", "forward", -150],
  ["filter", "FORWARD", "forward", 0],
  ["mangle", "OUTPUT", "output", -150],
  ["nat", "OUTPUT", "output", -100],
  ["filter", "OUTPUT", "output", 0],
  ["mangle", "POSTROUTING", "postrouting", -150],
  ["nat", "POSTROUTING", "postrouting", 100],
];

/** iptablesChains are the built-in chains a ruleset has, as base chains: falling off one is its ACCEPT policy. */
export function iptablesChains(rules: RuleSource): HookChain[] {
  return BUILTIN.filter(([table, chain]) => rules(table, chain) !== undefined).map(([table, chain, hook, priority]) => ({
    hook,
    priority,
    nat: table === "nat",
    name: `${table} ${chain}`,
    run: (pkt, o, start) =>
      run(rules, table, chain, pkt, o, start).map((b) => (b.end === undefined || b.end === "RETURN" ? { ...b, end: "ACCEPT" } : b)),
  }));
}
