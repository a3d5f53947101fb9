/**
 * kube-proxy's service health checks: for each LoadBalancer service with
 * `externalTrafficPolicy: Local`, an HTTP server on its healthCheckNodePort answers 200 when this
 * node has ready local endpoints and 503 when it has none, with the same JSON body and headers, so
 * cloud load balancers send traffic only to nodes that can serve it without a second hop.
 */
import type { Server } from "node:http";
import { closeServer, serveHttp } from "../util/http.js";
import type { AppliedPort } from "./categorize.js";

/** HealthTarget is what one health-check port reports. */
export interface HealthTarget {
  namespace: string;
  name: string;
  localEndpoints: number;
}

/** healthTargets derives the health-check ports and their local ready endpoint counts from applied rules. */
export function healthTargets(ports: Iterable<AppliedPort>): Map<number, HealthTarget> {
  const ips = new Map<number, { t: HealthTarget; ips: Set<string> }>();
  for (const r of ports) {
    const p = r.sp.healthCheckNodePort;
    if (!p) continue;
    let e = ips.get(p);
    if (!e) ips.set(p, (e = { t: { namespace: r.sp.namespace, name: r.sp.name, localEndpoints: 0 }, ips: new Set() }));
    for (const ep of r.cat.local) if (ep.ready) e.ips.add(ep.ip);
  }
  return new Map([...ips].map(([p, { t, ips: s }]) => [p, { ...t, localEndpoints: s.size }]));
}

/** healthBody renders kube-proxy's JSON answer. */
export function healthBody(t: HealthTarget, healthy: boolean): string {
  return `${JSON.stringify(
    { service: { namespace: t.namespace, name: t.name }, localEndpoints: t.localEndpoints, serviceProxyHealthy: healthy },
    null,
    2,
  )}\n`;
}

/** HealthServers keeps one HTTP server per health-check node port. */
export class HealthServers {
  private servers = new Map<number, Server>();
  private targets = new Map<number, HealthTarget>();

  constructor(private readonly healthy: () => boolean = () => true) {}

  /** sync opens servers for new ports, closes those no longer wanted and updates the counts. */
  async sync(targets: Map<number, HealthTarget>): Promise<void> {
    this.targets = targets;
    for (const [port, srv] of this.servers)
      if (!targets.has(port)) {
        this.servers.delete(port);
        await closeServer(srv);
      }
    for (const port of targets.keys()) if (!this.servers.has(port)) this.servers.set(port, await this.listen(port));
  }

  private listen(port: number): Promise<Server> {
    // Any path: load balancers probe "/" or a path of their own.
    return serveHttp(port, undefined, () => {
      const t = this.targets.get(port);
      if (!t) return undefined;
      const healthy = this.healthy();
      const headers = {
        "Content-Type": "application/json",
        "X-Content-Type-Options": "nosniff",
        "X-Load-Balancing-Endpoint-Weight": String(t.localEndpoints),
      };
      return { status: t.localEndpoints > 0 && healthy ? 200 : 503, headers, body: healthBody(t, healthy) };
    });
  }

  /** close stops every server. */
  async close(): Promise<void> {
    await this.sync(new Map());
  }
}
