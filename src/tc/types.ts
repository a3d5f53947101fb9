/**
 * The traffic-control objects podnet manages, as plain data: a token-bucket (`tbf`) root qdisc
 * that shapes what a device sends, and a `clsact` qdisc whose ingress and egress hooks each hold
 * one match-all filter with a list of actions (mirror or redirect to a device). That is
 * enough for pod bandwidth (a host veth's root shapes what the pod receives; its ingress hook
 * redirects what the pod sends to an ifb, whose root shapes it) and for mirroring.
 */

/** TcHook is one of clsact's two hooks. */
export type TcHook = "ingress" | "egress";

/** TC_HOOKS lists the hooks in the order podnet handles them. */
export const TC_HOOKS: readonly TcHook[] = ["ingress", "egress"];

/** Tbf is a token-bucket root qdisc: rate in bits per second, burst in bytes, queue latency in ms. */
export interface Tbf {
  rate: number;
  burst: number;
  latencyMs: number;
}

/** TcAction is one action of a match-all filter: copy (mirror) or move (redirect) the packet to a device's egress. */
export interface TcAction {
  kind: "mirred";
  mode: "mirror" | "redirect";
  to: string;
}

/** DevTc is what podnet keeps on one device: the shaping root and the clsact filters. */
export interface DevTc {
  /** root is a tbf root qdisc; `other` is a root of another kind (not ours to keep). */
  root?: Tbf | "other";
  clsact: boolean;
  /** filters holds each hook's actions (a hook without entry has no filter). */
  filters: Partial<Record<TcHook, TcAction[]>>;
}

/** TcState maps device names to their traffic-control state. */
export type TcState = Map<string, DevTc>;

/** TcError is a failed tc command or an object tc cannot take: `failed to <verb> <thing>: <cause>`. */
export class TcError extends Error {
  readonly stderr: string | undefined;
  constructor(msg: string, options?: { cause?: unknown; stderr?: string }) {
    super(msg, options);
    this.name = "TcError";
    this.stderr = options?.stderr;
  }
}

/** emptyDev is a device with no qdisc of ours. */
export function emptyDev(): DevTc {
  return { clsact: false, filters: {} };
}

/** sameActions says whether two action lists are the same. */
export function sameActions(a: readonly TcAction[] | undefined, b: readonly TcAction[] | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** sameTbf says whether a root is the tbf wanted: the rate exactly (as bytes per second, what the kernel keeps), burst within 1 %. */
export function sameTbf(have: DevTc["root"], want: Tbf): boolean {
  if (have === undefined || have === "other") return false;
  return Math.floor(have.rate / 8) === Math.floor(want.rate / 8) && Math.abs(have.burst - want.burst) <= want.burst / 100;
}
