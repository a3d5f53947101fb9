/**
 * nft's expressions judged for a traced packet: header fields (`ip daddr`, `th dport`, `meta
 * l4proto`), the mark and its arithmetic, `ct state` (a first packet is new), `fib … type local`,
 * concatenations, and `numgen random` — which has no single value, so every expression evaluates
 * to a distribution of values with their probabilities. Values are compared with literals,
 * prefixes, ranges, anonymous sets and named sets (live elements, affinity entries included).
 * An expression the tracer does not know throws rather than being guessed.
 */
import { inNet } from "../iptables/matches.js";
import type { Packet, TraceOptions, TraceState } from "../trace.js";
import { type NftExpr, type NftJsonSet, unwrapElem } from "./ruleset.js";

/** Value is what an expression gives: a string, a number, or a tuple for a concatenation. */
export type Value = string | number | Value[] | undefined;

/** Dist is a value distribution: each possible value with its probability. */
export type Dist = [Value, number][];

/** EvalContext is the packet and where it stands, and the table's named sets. */
export interface EvalContext {
  pkt: Packet;
  st: TraceState;
  o: TraceOptions;
  set(name: string): NftJsonSet | undefined;
}

type Obj = Record<string, NftExpr>;
const isObj = (x: NftExpr): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);

/** fail reports an expression the tracer cannot judge. */
export function fail(what: string, x: NftExpr): never {
  throw new Error(`tracePacket: unsupported nft ${what} ${JSON.stringify(x)}`);
}

const PROTOS = new Set(["tcp", "udp", "sctp", "th"]);

function payload(p: Obj, c: EvalContext): Value {
  const proto = String(p.protocol);
  const field = String(p.field);
  if (proto === "ip" || proto === "ip6") {
    if ((proto === "ip6") !== c.pkt.src.includes(":")) return undefined;
    if (field === "saddr") return c.pkt.src;
    if (field === "daddr") return c.st.dst;
    if (field === "protocol" || field === "nexthdr") return c.pkt.proto;
  }
  if (PROTOS.has(proto)) {
    if (proto !== "th" && proto !== c.pkt.proto) return undefined;
    if (field === "dport") return c.st.dport;
    if (field === "sport") return c.pkt.sport;
  }
  return fail("payload", p);
}

function meta(key: string, c: EvalContext): Value {
  switch (key) {
    case "l4proto":
      return c.pkt.proto;
    case "mark":
      return c.st.mark;
    case "nfproto":
      return c.pkt.src.includes(":") ? "ipv6" : "ipv4";
    case "iifname":
      return c.o.iif;
    case "oifname":
      return c.o.oif?.(c.st.dst);
    default:
      return fail("meta key", key);
  }
}

function fib(f: Obj, c: EvalContext): Value {
  const flags = Array.isArray(f.flags) ? f.flags : [f.flags];
  if (f.result !== "type") fail("fib", f);
  if (flags.includes("saddr")) return c.o.from === "node" || c.o.local(c.pkt.src) ? "local" : "unicast";
  if (flags.includes("daddr")) return c.o.local(c.st.dst) ? "local" : "unicast";
  return fail("fib", f);
}

const ARITH: Record<string, (a: number, b: number) => number> = {
  "&": (a, b) => (a & b) >>> 0,
  "|": (a, b) => (a | b) >>> 0,
  "^": (a, b) => (a ^ b) >>> 0,
};

/** product combines distributions of the parts of a concatenation or operation. */
function product(parts: Dist[]): [Value[], number][] {
  let out: [Value[], number][] = [[[], 1]];
  for (const d of parts) out = out.flatMap(([vs, p]) => d.map(([v, q]) => [[...vs, v], p * q] as [Value[], number]));
  return out;
}

/** evaluate gives an expression's distribution of values. */
export function evaluate(x: NftExpr, c: EvalContext): Dist {
  if (typeof x === "string" || typeof x === "number") return [[x, 1]];
  if (!isObj(x)) return fail("expression", x);
  const [op, arg] = Object.entries(x)[0] ?? ["", null];
  if (op === "payload") return [[payload(arg as Obj, c), 1]];
  if (op === "meta") return [[meta(String((arg as Obj).key), c), 1]];
  if (op === "ct" && (arg as Obj).key === "state") return [["new", 1]];
  if (op === "fib") return [[fib(arg as Obj, c), 1]];
  if (op === "numgen") {
    const n = arg as Obj;
    if (n.mode !== "random") fail("numgen", x);
    const mod = Number(n.mod);
    const offset = Number(n.offset ?? 0);
    return Array.from({ length: mod }, (_, i) => [i + offset, 1 / mod]);
  }
  if (op === "concat" && Array.isArray(arg)) return product(arg.map((a) => evaluate(a, c)));
  if (ARITH[op] && Array.isArray(arg)) {
    const f = ARITH[op];
    return product(arg.map((a) => evaluate(a, c))).map(([[a, b], p]) => [
      typeof a === "number" && typeof b === "number" ? f(a, b) : undefined,
      p,
    ]);
  }
  return fail("expression", x);
}

/** one is a literal's single value (literals never split). */
function one(x: NftExpr, c: EvalContext): Value {
  return evaluate(x, c)[0]?.[0];
}

/** elementHolds says whether a value is an element: a literal, a prefix, a range, or a concatenation of those. */
export function elementHolds(e: NftExpr, v: Value, c: EvalContext): boolean {
  const x = unwrapElem(e);
  if (v === undefined) return false;
  if (isObj(x) && x.prefix) {
    const p = x.prefix as Obj;
    return typeof v === "string" && inNet(`${p.addr}/${p.len}`, v);
  }
  if (isObj(x) && Array.isArray(x.range)) {
    const [lo, hi] = x.range.map((r) => one(r, c));
    return typeof v === "number" && typeof lo === "number" && typeof hi === "number" && v >= lo && v <= hi;
  }
  if (isObj(x) && Array.isArray(x.concat))
    return Array.isArray(v) && x.concat.length === v.length && x.concat.every((part, i) => elementHolds(part, v[i], c));
  return one(x, c) === v;
}

/** setElements are the elements of `@name` or of an anonymous `{"set": […]}`. */
export function setElements(x: NftExpr, c: EvalContext): { key: NftExpr; value?: NftExpr }[] | undefined {
  if (typeof x === "string" && x.startsWith("@")) {
    const s = c.set(x.slice(1));
    if (!s) throw new Error(`tracePacket: no nft set "${x.slice(1)}"`);
    return s.elems;
  }
  if (isObj(x) && Array.isArray(x.set))
    return x.set.map((e) => (Array.isArray(e) ? { key: e[0] ?? null, value: e[1] ?? null } : { key: e }));
  return undefined;
}

/** matches says whether `left op right` holds for one value of the left side. */
export function matches(op: string, v: Value, right: NftExpr, c: EvalContext): boolean {
  if (op === "in" && Array.isArray(right)) return right.some((r) => one(r, c) === v);
  const elems = setElements(right, c);
  const holds = elems ? elems.some((e) => elementHolds(e.key, v, c)) : elementHolds(right, v, c);
  if (op === "==" || op === "in") return holds;
  if (op === "!=") return v !== undefined && !holds;
  const r = one(right, c);
  if (typeof v !== "number" || typeof r !== "number") return fail("comparison", { op, right });
  return op === "<" ? v < r : op === ">" ? v > r : op === "<=" ? v <= r : op === ">=" ? v >= r : fail("operator", op);
}
