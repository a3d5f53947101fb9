/**
 * What a pod asks of its node's QoS agent, read from annotations as kube-ovn and kubelet define
 * them: `ovn.kubernetes.io/ingress_rate` / `egress_rate` in Mbit/s (kube-ovn; they win when both
 * are set), `kubernetes.io/ingress-bandwidth` / `egress-bandwidth` as Kubernetes quantities, and
 * mirroring by `ovn.kubernetes.io/mirror` or `podnet.io/mirror` on the pod, or on its namespace
 * as the default of its pods. Ingress is traffic to the pod, egress traffic from it. A bad value
 * is an error naming the annotation; the caller keeps that direction's previous setting.
 */
import { parseQuantity } from "../model/bandwidth.js";
import type { KubeObject } from "../model/types.js";

/** MAX_RATE is the highest rate podnet shapes to: 100 Gbit/s. */
export const MAX_RATE = 100e9;
/** MIN_RATE is the lowest: 1 kbit/s, as kubelet's bandwidth check. */
export const MIN_RATE = 1e3;

/** Direction is one way of a pod's traffic: ingress reaches the pod, egress leaves it. */
export type Direction = "ingress" | "egress";

/** OVN_RATE are kube-ovn's rate annotations per direction (Mbit/s). */
export const OVN_RATE: Record<Direction, string> = { ingress: "ovn.kubernetes.io/ingress_rate", egress: "ovn.kubernetes.io/egress_rate" };
/** K8S_BANDWIDTH are Kubernetes' bandwidth annotations per direction (quantities). */
export const K8S_BANDWIDTH: Record<Direction, string> = {
  ingress: "kubernetes.io/ingress-bandwidth",
  egress: "kubernetes.io/egress-bandwidth",
};
/** MIRROR_KEYS turn mirroring on or off ("true" / "false"): kube-ovn's name first. */
export const MIRROR_KEYS = ["ovn.kubernetes.io/mirror", "podnet.io/mirror"] as const;
/** NETEM_KEYS are kube-ovn's netem settings, which this kernel cannot apply. */
export const NETEM_KEYS = ["ovn.kubernetes.io/latency", "ovn.kubernetes.io/loss", "ovn.kubernetes.io/jitter", "ovn.kubernetes.io/limit"];

/** Setting is one direction's or mirroring's reading: a value (a rate, or none), or why the annotation is wrong. */
export type Setting<T> = { value: T } | { error: string };

/** PodQosSpec is what a pod's annotations ask for. */
export interface PodQosSpec {
  ingress: Setting<number | undefined>;
  egress: Setting<number | undefined>;
  mirror: Setting<boolean>;
  /** refused are annotations podnet cannot honour (netem), with why. */
  refused: string[];
}

const fmt = (v: string) => JSON.stringify(v);

function checkRange(key: string, raw: string, rate: number): Setting<number | undefined> {
  if (rate > MAX_RATE) return { error: `${key}: ${fmt(raw)} is above 100 Gbit/s` };
  if (rate < MIN_RATE) return { error: `${key}: ${fmt(raw)} is below 1 kbit/s` };
  return { value: rate };
}

/** ovnRate reads kube-ovn's Mbit/s value; "0" means no limit, as in kube-ovn. */
function ovnRate(key: string, raw: string): Setting<number | undefined> {
  const t = raw.trim();
  if (!/^-?\d+(\.\d+)?$/.test(t)) return { error: `${key}: ${fmt(raw)} is not a rate in Mbit/s` };
  const mbit = Number(t);
  if (mbit < 0) return { error: `${key}: ${fmt(raw)} is negative` };
  if (mbit === 0) return { value: undefined };
  return checkRange(key, raw, Math.round(mbit * 1e6));
}

function k8sRate(key: string, raw: string): Setting<number | undefined> {
  if (raw.trim().startsWith("-")) return { error: `${key}: ${fmt(raw)} is negative` };
  const bits = parseQuantity(raw);
  if (bits === undefined) return { error: `${key}: ${fmt(raw)} is not a quantity (such as 10M or 1G)` };
  return checkRange(key, raw, bits);
}

function rate(a: Record<string, string>, d: Direction): Setting<number | undefined> {
  const ovn = a[OVN_RATE[d]];
  if (ovn !== undefined) return ovnRate(OVN_RATE[d], ovn);
  const k8s = a[K8S_BANDWIDTH[d]];
  if (k8s !== undefined) return k8sRate(K8S_BANDWIDTH[d], k8s);
  return { value: undefined };
}

function mirrorOf(a: Record<string, string>): Setting<boolean> | undefined {
  for (const key of MIRROR_KEYS) {
    const v = a[key];
    if (v === undefined) continue;
    if (v === "true" || v === "false") return { value: v === "true" };
    return { error: `${key}: ${fmt(v)} is neither "true" nor "false"` };
  }
  return undefined;
}

/** podQosSpec reads a pod's annotations, with its namespace's mirror default. */
export function podQosSpec(pod: KubeObject, namespace?: KubeObject): PodQosSpec {
  const a = pod.metadata.annotations ?? {};
  return {
    ingress: rate(a, "ingress"),
    egress: rate(a, "egress"),
    mirror: mirrorOf(a) ?? mirrorOf(namespace?.metadata.annotations ?? {}) ?? { value: false },
    refused: NETEM_KEYS.filter((k) => a[k] !== undefined).map(
      (k) => `${k}: not supported: this kernel has no netem qdisc, so podnet cannot add latency or loss`,
    ),
  };
}

/** specErrors lists every error of a spec, annotation by annotation. */
export function specErrors(s: PodQosSpec): string[] {
  return [s.ingress, s.egress, s.mirror].flatMap((x) => ("error" in x ? [`${x.error}; the previous setting stays`] : [])).concat(s.refused);
}
