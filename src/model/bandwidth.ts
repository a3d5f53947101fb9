/** Kubernetes quantities as the bandwidth annotations write them (`kubernetes.io/ingress-bandwidth: 10M`). */

const SUFFIX: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
/** parseQuantity reads a Kubernetes quantity ("10M", "1Gi", "500k"); undefined when malformed. */
export function parseQuantity(q: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (SUFFIX[m[2] ?? ""] ?? 1));
}
