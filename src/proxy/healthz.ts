/**
 * kube-proxy's own health endpoint (`--healthz-bind-address`, 0.0.0.0:10256): `/healthz` and
 * `/livez` answer 200 while every IP family's proxier has applied the changes it was given within
 * the health timeout (2 × the sync period), else 503; `/healthz` is also 503 while the node is being
 * deleted or carries the cluster autoscaler's ToBeDeletedByClusterAutoscaler taint, so load
 * balancers checking it (externalTrafficPolicy: Cluster) drain the node first. The service
 * health-check ports report the same proxier health as `serviceProxyHealthy`.
 */
import type { Server } from "node:http";
import type { Node } from "../model/types.js";
import { type BindAddress, serveHttp } from "../util/http.js";
import type { Family } from "./types.js";

/** TO_BE_DELETED_TAINT is the taint the cluster autoscaler puts on a node it is about to delete. */
export const TO_BE_DELETED_TAINT = "ToBeDeletedByClusterAutoscaler";

/** ProxyHealth tracks when each family last applied its rules and the oldest change still waiting. */
export class ProxyHealth {
  private lastUpdated = new Map<Family, number>();
  private oldestQueued = new Map<Family, number>();
  private eligible = true;

  constructor(
    readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** queued records that a family has changes it has not applied yet (the oldest one counts). */
  queued(family: Family): void {
    if (!this.oldestQueued.has(family)) this.oldestQueued.set(family, this.now());
  }

  /** updated records that a family's rules reflect everything it was given. */
  updated(family: Family): void {
    this.oldestQueued.delete(family);
    this.lastUpdated.set(family, this.now());
  }

  /** syncNode takes the node's eligibility from its object: not being deleted, no autoscaler deletion taint. */
  syncNode(node: Node): void {
    const taints = (node.spec.taints ?? []) as { key?: string }[];
    this.eligible = node.metadata.deletionTimestamp === undefined && !taints.some((t) => t.key === TO_BE_DELETED_TAINT);
  }

  /** nodeEligible is false while the node is being deleted or tainted for deletion. */
  get nodeEligible(): boolean {
    return this.eligible;
  }

  /** proxier returns whether every family is healthy (a change waiting longer than the timeout is not) and the last update time. */
  proxier(): { healthy: boolean; lastUpdated: number } {
    const now = this.now();
    let last = 0;
    for (const [family, at] of this.lastUpdated) {
      last = Math.max(last, at);
      const q = this.oldestQueued.get(family);
      if (q !== undefined && now - q >= this.timeoutMs) return { healthy: false, lastUpdated: at };
    }
    return { healthy: true, lastUpdated: last };
  }

  /** answer renders `/healthz` or `/livez` as kube-proxy does: status, and a JSON body whose lastUpdated is now when healthy. */
  answer(path: "/healthz" | "/livez"): { status: number; body: string } {
    const now = this.now();
    const p = this.proxier();
    const healthy = p.healthy && (path === "/livez" || this.eligible);
    const last = goTime(healthy ? now : p.lastUpdated);
    const body =
      path === "/healthz"
        ? `{"lastUpdated": ${JSON.stringify(last)},"currentTime": ${JSON.stringify(goTime(now))}, "nodeEligible": ${this.eligible}}`
        : `{"lastUpdated": ${JSON.stringify(last)},"currentTime": ${JSON.stringify(goTime(now))}}`;
    return { status: healthy ? 200 : 503, body };
  }
}

/** goTime formats a time as Go's time.Time prints in UTC (`2006-01-02 15:04:05.999 +0000 UTC`); 0 is Go's zero time. */
export function goTime(ms: number): string {
  if (ms === 0) return "0001-01-01 00:00:00 +0000 UTC";
  const iso = new Date(ms).toISOString(); // 2006-01-02T15:04:05.999Z
  const frac = iso.slice(20, 23).replace(/0+$/, "");
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ""} +0000 UTC`;
}

/** serveHealthz starts the HTTP server for `/healthz` and `/livez` (other paths: 404); onAnswer sees each answer's path and status. */
export function serveHealthz(
  health: ProxyHealth,
  bind: BindAddress,
  onAnswer: (path: string, status: number) => void = () => {},
): Promise<Server> {
  return serveHttp(bind.port, bind.host, (path) => {
    if (path !== "/healthz" && path !== "/livez") return undefined;
    const a = health.answer(path);
    onAnswer(path, a.status);
    return { status: a.status, headers: { "Content-Type": "application/json", "X-Content-Type-Options": "nosniff" }, body: a.body };
  });
}
