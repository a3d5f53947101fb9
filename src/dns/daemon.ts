/**
 * `podnet dns`: the cluster DNS, CoreDNS's role. It follows the cluster store and rebuilds its
 * index on every change (a new Service answers as soon as the store has it), answers the zone
 * from the index and forwards the rest upstream. While the store cannot be read it keeps
 * answering from the last good index, as CoreDNS does from its informers' cache.
 */
import type { EndpointSlice, Namespace, Pod, Service } from "../model/types.js";
import { byKind, StoreFollower } from "../store/follow.js";
import { writeJsonAtomic } from "../util/jsonfile.js";
import type { PodMode } from "./answer.js";
import type { Upstream } from "./forward.js";
import { buildIndex } from "./records.js";
import { DnsServer } from "./server.js";

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
  private readonly store: StoreFollower;
  readonly server: DnsServer;
  private readonly dnsIPs: string[] = [];

  constructor(private readonly opts: DnsDaemonOptions) {
    this.store = new StoreFollower(opts.storeFile, opts.log);
    this.server = new DnsServer({ podMode: opts.podMode, upstreams: opts.upstreams, dnsIPs: this.dnsIPs, log: opts.log });
  }

  /** start reads the store once and listens; it throws if either fails. */
  async start(): Promise<void> {
    if (!this.refresh()) throw this.store.error ?? new Error(`failed to read the store "${this.opts.storeFile}"`);
    await this.server.listen(this.opts.listen, this.opts.port);
  }

  /** run rebuilds the index on every store change until stop(). */
  async run(): Promise<void> {
    await this.store.loop(async () => {
      this.refresh();
    }, 200);
    await this.server.close();
  }

  /** stop ends run(). */
  stop(): void {
    this.store.stop();
  }

  private refresh(): boolean {
    const snap = this.store.readIfChanged();
    if (!snap) return false;
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
