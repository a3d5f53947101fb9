/**
 * kube-proxy's Prometheus metrics, under its names, on `--metrics-bind-address` (127.0.0.1:10249):
 * sync durations (all, full, partial), the last sync and last queued change, restore failures,
 * Local-policy services without local endpoints, and /healthz and /livez answers by code — plus
 * podnet's own share of each sync. Also `/proxyMode`, as kube-proxy serves it. prom-client is
 * loaded only when metrics are served, so other commands do not pay for it.
 */
import type { AddressInfo } from "node:net";
import { type BindAddress, closeServer, serveHttp } from "../util/http.js";
import type { AppliedPort } from "./categorize.js";
import { NFACCT_METRICS } from "./nfacct.js";
import type { SyncResult } from "./iptables/proxier.js";
import { externallyAccessible } from "./types.js";

/** ProxyMetrics is what the daemon reports. */
export interface ProxyMetrics {
  /** synced records one successful sync. */
  synced(r: SyncResult): void;
  /** failed records a sync whose restore failed (partial or full). */
  failed(full: boolean): void;
  /** queued records that changes arrived. */
  queued(): void;
  /** localless counts the applied Local-policy service ports without local endpoints (only when metrics are served). */
  localless(ports: Iterable<AppliedPort>): void;
  /** answered counts a /healthz or /livez answer. */
  answered(path: string, status: number): void;
  close(): Promise<void>;
}

/** NO_METRICS is the ProxyMetrics of a daemon that serves none. */
export const NO_METRICS: ProxyMetrics = {
  synced: () => {},
  failed: () => {},
  queued: () => {},
  localless: () => {},
  answered: () => {},
  close: async () => {},
};

/** noLocalEndpoints counts service ports whose Local traffic policy finds no endpoint on this node, as kube-proxy does. */
export function noLocalEndpoints(ports: Iterable<AppliedPort>): { internal: number; external: number } {
  const n = { internal: 0, external: 0 };
  for (const { sp, cat } of ports) {
    if (cat.local.length > 0) continue;
    if (sp.internalPolicyLocal) n.internal++;
    if (sp.externalPolicyLocal && externallyAccessible(sp)) n.external++;
  }
  return n;
}

/** SYNC_BUCKETS are kube-proxy's: 1 ms doubling 15 times (up to ~16 s). */
const SYNC_BUCKETS = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);

/** serveMetrics starts the metrics endpoint and returns the recorder behind it, with the port it listens on. */
export async function serveMetrics(
  bind: BindAddress,
  mode = "iptables",
  nfacct?: () => Promise<Map<string, number>>,
): Promise<ProxyMetrics & { port: number }> {
  const prom = await import("prom-client");
  const registry = new prom.Registry();
  const histogram = (name: string, help: string) =>
    new prom.Histogram({ name: `kubeproxy_${name}`, help, buckets: SYNC_BUCKETS, registers: [registry] });
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new prom.Counter({ name: `kubeproxy_${name}`, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new prom.Gauge({ name: `kubeproxy_${name}`, help, labelNames, registers: [registry] });
  const sync = histogram("sync_proxy_rules_duration_seconds", "SyncProxyRules latency in seconds");
  const full = histogram("sync_full_proxy_rules_duration_seconds", "SyncProxyRules latency in seconds for full resyncs");
  const partial = histogram("sync_partial_proxy_rules_duration_seconds", "SyncProxyRules latency in seconds for partial resyncs");
  const own = new prom.Histogram({
    name: "podnet_proxy_sync_compute_duration_seconds",
    help: "podnet's own share of a sync (compute, render, diff) in seconds",
    buckets: SYNC_BUCKETS,
    registers: [registry],
  });
  const last = gauge("sync_proxy_rules_last_timestamp_seconds", "The last time proxy rules were successfully synced");
  const lastQueued = gauge("sync_proxy_rules_last_queued_timestamp_seconds", "The last time a sync of proxy rules was queued");
  const restoreFailures = counter("sync_proxy_rules_iptables_restore_failures_total", "Cumulative proxy iptables restore failures");
  const partialFailures = counter(
    "sync_proxy_rules_iptables_partial_restore_failures_total",
    "Cumulative proxy iptables partial restore failures",
  );
  if (nfacct) nfacctCounters(prom, registry, nfacct);
  const noLocal = gauge("sync_proxy_rules_no_local_endpoints_total", "Number of services with a Local traffic policy and no endpoints", [
    "traffic_policy",
  ]);
  const healthz = counter("proxy_healthz_total", "Cumulative proxy healthz HTTP status", ["code"]);
  const livez = counter("proxy_livez_total", "Cumulative proxy livez HTTP status", ["code"]);
  const srv = await serveHttp(bind.port, bind.host, async (path) => {
    if (path === "/metrics") return { status: 200, headers: { "Content-Type": registry.contentType }, body: await registry.metrics() };
    if (path === "/proxyMode") return { status: 200, headers: { "Content-Type": "text/plain; charset=utf-8" }, body: mode };
    return undefined;
  });
  return {
    port: (srv.address() as AddressInfo).port,
    synced: (r) => {
      const seconds = (r.computeMs + r.iptablesMs + r.otherMs) / 1000;
      sync.observe(seconds);
      (r.full ? full : partial).observe(seconds);
      own.observe(r.computeMs / 1000);
      last.setToCurrentTime();
    },
    failed: (isFull) => {
      restoreFailures.inc();
      if (!isFull) partialFailures.inc();
    },
    queued: () => lastQueued.setToCurrentTime(),
    localless: (ports) => {
      const c = noLocalEndpoints(ports);
      noLocal.set({ traffic_policy: "internal" }, c.internal);
      noLocal.set({ traffic_policy: "external" }, c.external);
    },
    answered: (path, status) => (path === "/healthz" ? healthz : livez).inc({ code: String(status) }),
    close: () => closeServer(srv),
  };
}

/** nfacctCounters registers kube-proxy's nfacct counters, read from the kernel at each scrape (a counter only grows: it adds what was counted since). */
function nfacctCounters(
  prom: typeof import("prom-client"),
  registry: import("prom-client").Registry,
  read: () => Promise<Map<string, number>>,
): void {
  for (const [obj, name] of Object.entries(NFACCT_METRICS)) {
    let seen = 0;
    new prom.Counter({
      name,
      help: `Packets counted by the kernel's nfacct object ${obj}`,
      registers: [registry],
      async collect() {
        const now = (await read().catch(() => undefined))?.get(obj);
        if (now === undefined) return;
        this.inc(Math.max(0, now - seen));
        seen = now;
      },
    });
  }
}
