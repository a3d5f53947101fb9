/** Label selector matching, as the API server and controllers evaluate it. */
import type { LabelSelector } from "./types.js";

/** matchesSelector says whether labels satisfy a LabelSelector (an empty selector matches everything). */
export function matchesSelector(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const r of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(l, r.key);
    const val = l[r.key];
    const inValues = has && (r.values ?? []).includes(val as string);
    if (r.operator === "In" && !inValues) return false;
    if (r.operator === "NotIn" && inValues) return false;
    if (r.operator === "Exists" && !has) return false;
    if (r.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

/** matchesMap says whether labels contain every key/value of a Service-style selector map. */
export function matchesMap(sel: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return matchesSelector({ matchLabels: sel }, labels);
}
