/**
 * The DNS server's Prometheus metrics under CoreDNS's names (its `prometheus` plugin, :9153), and
 * its `health` (:8080/health) and `ready` (:8181/ready) endpoints, as kubeadm's Corefile enables
 * them: requests by protocol and type, responses by rcode (and whether the zone or the upstream
 * answered), request durations, cache hits and misses. prom-client is loaded only when metrics are served.
 */
import type { Server } from "node:http";
import { type BindAddress, closeServer, serveHttp } from "../util/http.js";
import type { DnsServer, QueryRecord } from "./server.js";

const TYPES: Record<number, string> = { 1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 16: "TXT", 28: "AAAA", 33: "SRV", 255: "ANY" };
const RCODES: Record<number, string> = { 0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED" };
/** BUCKETS are CoreDNS's request-duration buckets (0.25 ms doubling to ~8 s). */
const BUCKETS = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);

/** DnsEndpoints are the running metrics, health and ready servers. */
export interface DnsEndpoints {
  observe?: (q: QueryRecord) => void;
  close(): Promise<void>;
}

/** serveDnsEndpoints opens the endpoints that have an address; server() is the DNS server they report on (made after them). */
export async function serveDnsEndpoints(
  binds: { metrics?: BindAddress; health?: BindAddress; ready?: BindAddress },
  server: () => DnsServer | undefined,
): Promise<DnsEndpoints> {
  const open: Server[] = [];
  let observe: DnsEndpoints["observe"];
  if (binds.metrics) {
    const prom = await import("prom-client");
    const registry = new prom.Registry();
    const labels = { server: "dns://:53", zone: "." };
    const counter = (name: string, help: string, labelNames: string[]) =>
      new prom.Counter({ name, help, labelNames, registers: [registry] });
    const requests = counter("coredns_dns_requests_total", "Counter of DNS requests made per zone, protocol and family.", [
      "server",
      "zone",
      "proto",
      "type",
    ]);
    const responses = counter("coredns_dns_responses_total", "Counter of response status codes.", ["server", "zone", "rcode", "plugin"]);
    const hits = counter("coredns_cache_hits_total", "The count of cache hits.", ["server", "type"]);
    const misses = counter("coredns_cache_misses_total", "The count of cache misses.", ["server"]);
    const duration = new prom.Histogram({
      name: "coredns_dns_request_duration_seconds",
      help: "Histogram of the time (in seconds) each request took per zone.",
      labelNames: ["server", "zone", "type"],
      buckets: BUCKETS,
      registers: [registry],
    });
    new prom.Gauge({
      name: "coredns_cache_entries",
      help: "The number of elements in the cache.",
      labelNames: ["server", "type"],
      registers: [registry],
      collect() {
        this.set({ server: labels.server, type: "success" }, server()?.cacheEntries ?? 0);
      },
    });
    // Label sets are bound once (prom-client's children): a query then costs no label hashing.
    const bound = new Map<string, { inc(): void } & { observe?(v: number): void }>();
    const child = <T extends { inc?(): void; observe?(v: number): void }>(key: string, make: () => T): T => {
      let c = bound.get(key) as T | undefined;
      if (!c) bound.set(key, (c = make()) as never);
      return c;
    };
    observe = (q) => {
      const type = TYPES[q.qtype] ?? "other";
      const rcode = RCODES[q.rcode] ?? String(q.rcode);
      const plugin = q.how === "forward" ? "forward" : "kubernetes";
      child(`q|${q.proto}|${type}`, () => requests.labels({ ...labels, proto: q.proto, type })).inc();
      child(`r|${rcode}|${plugin}`, () => responses.labels({ ...labels, rcode, plugin })).inc();
      child(`d|${type}`, () => duration.labels({ ...labels, type })).observe(q.seconds);
      if (q.how === "cache") child("hit", () => hits.labels({ server: labels.server, type: "success" })).inc();
      else child("miss", () => misses.labels({ server: labels.server })).inc();
    };
    open.push(
      await serveHttp(binds.metrics.port, binds.metrics.host, async (p) =>
        p === "/metrics" ? { status: 200, headers: { "content-type": registry.contentType }, body: await registry.metrics() } : undefined,
      ),
    );
  }
  if (binds.health)
    open.push(await serveHttp(binds.health.port, binds.health.host, (p) => (p === "/health" ? { status: 200, body: "OK" } : undefined)));
  if (binds.ready)
    open.push(
      await serveHttp(binds.ready.port, binds.ready.host, (p) =>
        p === "/ready" ? (server()?.ready ? { status: 200, body: "OK" } : { status: 503, body: "kubernetes" }) : undefined,
      ),
    );
  return { ...(observe ? { observe } : {}), close: async () => void (await Promise.all(open.map(closeServer))) };
}
