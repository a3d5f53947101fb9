/** Node readiness, shared by the scheduler and the Subnet controller's gateway choice. */
import type { Node } from "../model/types.js";

/** nodeReady says whether a node reports Ready (nodes without conditions count as ready). */
export function nodeReady(n: Node): boolean {
  const c = (n.status?.conditions ?? []) as { type: string; status: string }[];
  return !c.some((x) => x.type === "Ready" && x.status !== "True");
}
