/**
 * An nftables ruleset as base chains a trace runs (../trace.ts): every base chain at its hook and
 * priority, its rules' statements run in order for each branch of the packet. Matches end a rule
 * early; verdict maps look the key up (a `numgen random` key splits the trace); jump, goto and
 * return move between the table's chains; dnat, masquerade and snat bind NAT; mark set changes
 * the mark; counters, logs and set updates change nothing a first packet sees.
 */
import {
  type Branch,
  type End,
  formatDnat,
  type Hook,
  type HookChain,
  type Packet,
  returnFrom,
  type TraceOptions,
  type TraceState,
} from "../trace.js";
import { type Dist, type EvalContext, evaluate, fail, matches, setElements, elementHolds } from "./eval.js";
import { type NftExpr, type NftJsonChain, type NftRuleset, nftKey } from "./ruleset.js";

type Obj = Record<string, NftExpr>;
const isObj = (x: NftExpr): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);

/** Step is where a branch stands after a statement: still in the rule, or leaving it with a verdict. */
interface Step {
  p: number;
  st: TraceState;
  /** verdict: undefined → next statement (or next rule when `miss`); else what the rule did. */
  verdict?: { kind: string; target?: string };
  miss?: boolean;
  /** marked: the rule set the mark (a trace lists such rules as it lists verdicts). */
  marked?: boolean;
}

const NO_OP = new Set(["counter", "log", "limit", "notrack", "set", "comment", "quota"]);
const HOOKS = new Set<string>(["prerouting", "input", "forward", "output", "postrouting"]);

function verdictOf(x: NftExpr): { kind: string; target?: string } {
  if (typeof x === "string") return { kind: x };
  if (!isObj(x)) return fail("verdict", x);
  const [kind, arg] = Object.entries(x)[0] ?? ["", null];
  return isObj(arg ?? null) && (arg as Obj).target !== undefined ? { kind, target: String((arg as Obj).target) } : { kind };
}

/** statement runs one statement for a branch. */
function statement(x: NftExpr, b: Step, pkt: Packet, o: TraceOptions, setOf: EvalContext["set"]): Step[] {
  const c: EvalContext = { pkt, st: b.st, o, set: setOf };
  if (!isObj(x)) return fail("statement", x);
  const [kind, arg] = Object.entries(x)[0] ?? ["", null];
  const a = (isObj(arg ?? null) ? arg : {}) as Obj;
  const split = (d: Dist, f: (v: Dist[number][0], p: number) => Step) => d.map(([v, p]) => f(v, b.p * p));
  if (kind === "match") {
    const d = evaluate(a.left ?? null, c);
    return split(d, (v, p) => ({ ...b, p, ...(matches(String(a.op), v, a.right ?? null, c) ? {} : { miss: true }) }));
  }
  if (kind === "vmap") {
    const elems = setElements(a.data ?? null, c) ?? fail("vmap", x);
    return split(evaluate(a.key ?? null, c), (v, p) => {
      const hit = elems.find((e) => elementHolds(e.key, v, c));
      return hit ? { p, st: b.st, verdict: verdictOf(hit.value ?? null) } : { p, st: b.st, miss: true };
    });
  }
  if (kind === "mangle") {
    const key = isObj(a.key ?? null) ? (a.key as Obj).meta : undefined;
    if (!isObj(key ?? null) || (key as Obj).key !== "mark") fail("mangle", x);
    return split(evaluate(a.value ?? null, c), (v, p) => ({ p, st: { ...b.st, mark: Number(v) >>> 0 }, marked: true }));
  }
  if (kind === "dnat") {
    const ip = String(evaluate(a.addr ?? null, c)[0]?.[0]);
    const port = a.port === undefined ? b.st.dport : Number(evaluate(a.port, c)[0]?.[0]);
    return [{ p: b.p, st: { ...b.st, dst: ip, dport: port, dnat: formatDnat(ip, port) }, verdict: { kind: "accept" } }];
  }
  if (kind === "masquerade" || kind === "snat") return [{ p: b.p, st: { ...b.st, masquerade: true }, verdict: { kind: "accept" } }];
  if (kind === "reject") return [{ ...b, verdict: { kind: "reject" } }];
  if (["accept", "drop", "return", "continue", "jump", "goto"].includes(kind)) return [{ ...b, verdict: verdictOf(x) }];
  if (NO_OP.has(kind)) return [b];
  return fail("statement", x);
}

/** runChain runs a chain's rules; branches end with a verdict, or undefined when they fall off the end. */
function runChain(
  rs: NftRuleset,
  chain: NftJsonChain,
  pkt: Packet,
  o: TraceOptions,
  start: { p: number; st: TraceState },
  depth = 0,
): Branch[] {
  if (depth > 50) throw new Error(`tracePacket: nft jumps nest deeper than 50 at ${chain.name}`);
  const setOf = (name: string) => rs.sets.get(nftKey(chain.family, chain.table, name));
  const chainOf = (name: string) => {
    const c = rs.chains.get(nftKey(chain.family, chain.table, name));
    if (!c) throw new Error(`tracePacket: jump to missing nft chain ${chain.table}/${name}`);
    return c;
  };
  let live = [start];
  const done: Branch[] = [];
  for (const rule of chain.rules) {
    let steps: Step[] = live.map((b) => ({ p: b.p, st: b.st }));
    const left: Step[] = [];
    for (const x of rule.expr) {
      steps = steps.flatMap((s) => (s.miss || s.verdict ? [s] : statement(x, s, pkt, o, setOf)));
      left.push(...steps.filter((s) => s.miss));
      steps = steps.filter((s) => !s.miss);
    }
    const next: { p: number; st: TraceState }[] = left.map((s) => ({ p: s.p, st: s.st }));
    const where = `${chain.family} ${chain.table} ${chain.name}: ${rule.text ?? `handle ${rule.handle}`}`;
    for (const s of steps) {
      const v = s.verdict;
      if (!v || v.kind === "continue") {
        next.push({ p: s.p, st: s.marked ? { ...s.st, path: [...s.st.path, where] } : s.st });
        continue;
      }
      const st = { ...s.st, path: [...s.st.path, where] };
      if (v.kind === "jump" || v.kind === "goto") {
        returnFrom(runChain(rs, chainOf(v.target ?? ""), pkt, o, { p: s.p, st }, depth + 1), v.kind === "goto", next, done);
      } else done.push({ p: s.p, st, end: v.kind.toUpperCase() as End });
    }
    live = next;
  }
  for (const b of live) done.push({ ...b, end: undefined });
  return done;
}

/** nftChains are a ruleset's base chains for a packet's family, as hook chains; `skip` leaves out tables (e.g. iptables-nft's). */
export function nftChains(rs: NftRuleset, family: 4 | 6, skip: (family: string, table: string) => boolean = () => false): HookChain[] {
  const families = new Set(["inet", family === 4 ? "ip" : "ip6"]);
  return [...rs.chains.values()]
    .filter((c) => c.hook !== undefined && HOOKS.has(c.hook) && families.has(c.family) && !skip(c.family, c.table))
    .map((c) => ({
      hook: c.hook as Hook,
      priority: c.prio ?? 0,
      nat: c.type === "nat",
      name: `${c.family} ${c.table} ${c.name}`,
      run: (pkt, o, start) =>
        runChain(rs, c, pkt, o, start).map((b) =>
          b.end === undefined || b.end === "RETURN" ? { ...b, end: c.policy === "drop" ? "DROP" : "ACCEPT" } : b,
        ),
    }));
}
