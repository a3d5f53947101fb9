/** Reading tc's JSON (`tc -j qdisc show`, `tc -j -batch -` of filter shows) into TcState. */
import { HOOK_PREF } from "./transaction.js";
import { emptyDev, type TcAction, TcError, type TcHook, type TcState } from "./types.js";

/** RawQdisc is the part of `tc -j qdisc show` podnet reads. */
export interface RawQdisc {
  kind: string;
  handle?: string;
  dev: string;
  root?: boolean;
  options?: { rate?: number; burst?: number; lat?: number };
}

/** RawFilter is the part of `tc -j filter show` podnet reads. */
export interface RawFilter {
  pref?: number;
  kind?: string;
  options?: { actions?: { kind?: string; mirred_action?: string; to_dev?: string }[] };
}

/** parseQdiscs reads every device's root and clsact from `tc -j qdisc show`. */
export function parseQdiscs(raw: RawQdisc[]): TcState {
  const state: TcState = new Map();
  for (const q of raw) {
    const d = state.get(q.dev) ?? emptyDev();
    state.set(q.dev, d);
    if (q.kind === "clsact") d.clsact = true;
    else if (q.root && q.kind === "tbf")
      d.root = { rate: (q.options?.rate ?? 0) * 8, burst: q.options?.burst ?? 0, latencyMs: Math.round((q.options?.lat ?? 0) / 1000) };
    else if (q.root && q.handle !== "0:") d.root = "other";
  }
  return state;
}

function parseAction(a: NonNullable<NonNullable<RawFilter["options"]>["actions"]>[number]): TcAction | undefined {
  if (a.kind === "mirred" && (a.mirred_action === "mirror" || a.mirred_action === "redirect") && a.to_dev)
    return { kind: "mirred", mode: a.mirred_action, to: a.to_dev };
  return undefined;
}

/** parseHookFilter reads the actions of podnet's filter on a hook; undefined when there is none, `other` actions make it unknown. */
export function parseHookFilter(raw: RawFilter[], hook: TcHook): TcAction[] | undefined {
  const mine = raw.filter((f) => f.pref === HOOK_PREF[hook] && f.options?.actions);
  if (mine.length === 0) return raw.some((f) => f.pref === HOOK_PREF[hook]) ? [] : undefined;
  const acts = (mine[0]?.options?.actions ?? []).map(parseAction);
  return acts.every((a) => a !== undefined) && mine.length === 1 ? (acts as TcAction[]) : [];
}

/** parseJsonSeq splits output made of JSON values one after another (what `tc -j -batch` prints). */
export function parseJsonSeq(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "[" || c === "{") {
      if (depth++ === 0) start = i;
    } else if (c === "]" || c === "}") {
      if (--depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
      if (depth < 0) throw new TcError(`failed to read tc output: unbalanced ${JSON.stringify(c)} at ${i}`);
    }
  }
  return out;
}
