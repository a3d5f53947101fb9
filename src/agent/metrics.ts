/**
 * The agent's HTTP endpoint: Prometheus metrics (routing sync durations and results, datastore
 * read errors, whether the node is converged) and `/healthz` (the loop is alive) and `/readyz`
 * (the node routes the cluster it last read) on one port. prom-client is loaded only here.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type BindAddress, closeServer, type Page, serveHttp } from "../util/http.js";

/** AgentProbe is what the endpoints read of the daemon. */
export interface AgentProbe {
  /** alive says the loop ran recently. */
  alive(): boolean;
  /** ready says the last pass converged without error. */
  ready(): boolean;
}

/** AgentMetrics records what the daemon did. */
export interface AgentMetrics {
  /** port is where the endpoint listens (0 without one). */
  port: number;
  synced(seconds: number, result: "converged" | "pending" | "error"): void;
  datastoreError(): void;
  close(): Promise<void>;
}

/** NO_AGENT_METRICS records nothing (no endpoint configured). */
export const NO_AGENT_METRICS: AgentMetrics = { port: 0, synced() {}, datastoreError() {}, close: async () => {} };

const SYNC_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** serveAgent listens on bind and answers /metrics, /healthz and /readyz. */
export async function serveAgent(bind: BindAddress, probe: AgentProbe): Promise<AgentMetrics> {
  const prom = await import("prom-client");
  const registry = new prom.Registry();
  const duration = new prom.Histogram({
    name: "podnet_agent_routing_sync_duration_seconds",
    help: "Time of one routing pass (routes, VXLAN entries, BIRD, egress NAT) in seconds",
    buckets: SYNC_BUCKETS,
    registers: [registry],
  });
  const syncs = new prom.Counter({
    name: "podnet_agent_routing_syncs_total",
    help: "Routing passes by result: converged, pending (a peer has not published its side yet) or error",
    labelNames: ["result"],
    registers: [registry],
  });
  const errors = new prom.Counter({
    name: "podnet_agent_datastore_errors_total",
    help: "Reads of the cluster that failed (the data plane kept its last good state)",
    registers: [registry],
  });
  new prom.Gauge({
    name: "podnet_agent_ready",
    help: "1 when the node routes the cluster it last read",
    registers: [registry],
    collect() {
      this.set(probe.ready() ? 1 : 0);
    },
  });
  const check = (ok: boolean, what: string): Page => ({ status: ok ? 200 : 503, body: ok ? "ok" : `${what}\n` });
  const srv: Server = await serveHttp(bind.port, bind.host, async (path) => {
    if (path === "/metrics") return { status: 200, headers: { "Content-Type": registry.contentType }, body: await registry.metrics() };
    if (path === "/healthz") return check(probe.alive(), "the agent's loop has not run within two resync periods");
    if (path === "/readyz") return check(probe.ready(), "the node does not route the cluster it last read yet");
    return undefined;
  });
  return {
    port: (srv.address() as AddressInfo).port,
    synced: (seconds, result) => {
      duration.observe(seconds);
      syncs.inc({ result });
    },
    datastoreError: () => errors.inc(),
    close: () => closeServer(srv),
  };
}
