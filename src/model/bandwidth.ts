/**
 * Pod bandwidth limits from the annotations kubelet reads (`kubernetes.io/ingress-bandwidth`,
 * `kubernetes.io/egress-bandwidth`, Kubernetes quantities such as "10M"), turned into the CNI
 * `bandwidth` capability: rates in bits per second. kubelet sets each burst to 2^31 bits, so the
 * first 256 MB pass unshaped; podnet allows a burst of 1/8 s of traffic (at least 1 Mbit), so the
 * limit holds from the start.
 */
import type { Pod } from "./types.js";

const SUFFIX: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
/** burstFor is the token-bucket size for a rate: 1/8 second of traffic, at least 1 Mbit. */
function burstFor(rate: number): number {
  return Math.max(Math.round(rate / 8), 1_000_000);
}

/** parseQuantity reads a Kubernetes quantity ("10M", "1Gi", "500k"); undefined when malformed. */
export function parseQuantity(q: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (SUFFIX[m[2] ?? ""] ?? 1));
}

/** BandwidthArgs is the CNI bandwidth capability. */
export interface BandwidthArgs {
  ingressRate?: number;
  ingressBurst?: number;
  egressRate?: number;
  egressBurst?: number;
}

/** podBandwidth derives the bandwidth capability from a pod's annotations, if it has any. */
export function podBandwidth(pod: Pod): BandwidthArgs | undefined {
  const a = pod.metadata.annotations ?? {};
  const ingress = a["kubernetes.io/ingress-bandwidth"] ? parseQuantity(a["kubernetes.io/ingress-bandwidth"]) : undefined;
  const egress = a["kubernetes.io/egress-bandwidth"] ? parseQuantity(a["kubernetes.io/egress-bandwidth"]) : undefined;
  if (!ingress && !egress) return undefined;
  return {
    ...(ingress ? { ingressRate: ingress, ingressBurst: burstFor(ingress) } : {}),
    ...(egress ? { egressRate: egress, egressBurst: burstFor(egress) } : {}),
  };
}
