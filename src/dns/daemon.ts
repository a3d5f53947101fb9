/**
 * `podnet dns`: the cluster DNS, CoreDNS's role. It follows the cluster store and rebuilds its
 * index on every change (a new Service answers as soon as the store has it), answers the zone
 * from the index and forwards the rest upstream. While the store cannot be read it keeps
 * answering from the last good index, as CoreDNS does from its informers' cache.
 */
import type { EndpointSlice, Namespace, Pod, Service } from "../model/types.js";
import { byKind, type Follower } from "../store/follow.js";
import { openFollower } from "../store/open.js";
import { writeJsonAtomic } from "../util/jsonfile.js";
import type { PodMode } from "./answer.js";
import type { Upstream } from "./forward.js";
import { buildIndex } from "./records.js";
import { type DnsEndpoints, serveDnsEndpoints } from "./metrics.js";
import { DnsServer } from "./server.js";
import type { BindAddress } from "../util/http.js";

/** DnsDaemonOptions configure `podnet dns`. */
export interface DnsDaemonOptions {
  storeFile: string;
  zone: string;
  listen: string[];
  port: number;
  upstreams: Upstream[];
  podMode: PodMode;
  /** dnsService is `namespace/name` of the Service in front of the DNS pods (its addresses are the zone's NS glue). */
  dnsService: string;
  /** endpoints are where metrics (:9153), /health (:8080) and /ready (:8181) are served; each off when absent. */
  endpoints?: { metrics?: BindAddress; health?: BindAddress; ready?: BindAddress };
  /** statusFile records the store version the index was built from, for whoever waits on it (the lab's apply). */
  statusFile?: string;
  log: (line: string) => void;
}

/** DnsStatus is the status file's content. */
export interface DnsStatus {
  pid: number;
  resourceVersion: number;
  services: number;
  at: string;
}

/** DnsDaemon runs the DNS server until stopped. */
export class DnsDaemon {
  private readonly store: Follower;
  private server: DnsServer | undefined;
  private endpoints: DnsEndpoints | undefined;
  private readonly dnsIPs: string[] = [];

  constructor(private readonly opts: DnsDaemonOptions) {
    this.store = openFollower(opts.storeFile, opts.log);
  }

  /** start opens the metrics and health endpoints, reads the store once and listens; it throws if any of it fails. */
  async start(): Promise<void> {
    // A datastore lists every kind first (a store file has nothing to wait for).
    await this.store.open();
    const o = this.opts;
    this.endpoints = await serveDnsEndpoints(o.endpoints ?? {}, () => this.server);
    const observe = this.endpoints.observe;
    this.server = new DnsServer({
      podMode: o.podMode,
      upstreams: o.upstreams,
      dnsIPs: this.dnsIPs,
      log: o.log,
      ...(observe ? { observe } : {}),
    });
    if (!this.refresh()) throw this.store.error ?? new Error(`failed to read the store "${o.storeFile}"`);
    await this.server.listen(o.listen, o.port);
  }

  /** run rebuilds the index on every store change until stop(). */
  async run(): Promise<void> {
    await this.store.loop(async () => {
      this.refresh();
    }, 200);
    await this.server?.close();
    await this.endpoints?.close();
  }

  /** stop ends run(). */
  stop(): void {
    this.store.stop();
  }

  private refresh(): boolean {
    const snap = this.store.readIfChanged();
    if (!snap || !this.server) return false;
    const services = byKind<Service>(snap, "Service");
    const ix = buildIndex(this.opts.zone, snap.resourceVersion, {
      services,
      slices: byKind<EndpointSlice>(snap, "EndpointSlice"),
      pods: byKind<Pod>(snap, "Pod"),
      namespaces: byKind<Namespace>(snap, "Namespace"),
    });
    const [ns, name] = this.opts.dnsService.split("/");
    const self = services.find((s) => s.metadata.namespace === ns && s.metadata.name === name);
    this.dnsIPs.splice(0, this.dnsIPs.length, ...(self?.spec.clusterIPs ?? []).filter((ip) => ip !== "None"));
    this.server.setIndex(ix);
    if (this.opts.statusFile) {
      const st: DnsStatus = {
        pid: process.pid,
        resourceVersion: snap.resourceVersion,
        services: ix.services.size,
        at: new Date().toISOString(),
      };
      writeJsonAtomic(this.opts.statusFile, st);
    }
    return true;
  }
}
