/**
 * `podnet proxy`: the node's service proxy as a long-running process, like kube-proxy. It watches
 * the cluster store, syncs each IP family's rules (partial syncs on change, a full sync every
 * fullSyncPeriod, and at once when the canary chains show a flush), serves the health-check node
 * ports and its own `/healthz` and `/livez`, and records each sync in a status file that the lab waits on.
 */
import { writeJsonAtomic } from "../util/jsonfile.js";
import { byKind, type Follower, type StoreSnapshot } from "../store/follow.js";
import { openFollower } from "../store/open.js";
import type { Executor } from "../exec/types.js";
import { readStored } from "../model/stored.js";
import type { EndpointSlice, Node, Service } from "../model/types.js";
import { HealthServers, healthTargets } from "./healthcheck.js";
import { ProxyHealth, serveHealthz } from "./healthz.js";
import { NO_METRICS, type ProxyMetrics, serveMetrics } from "./metrics.js";
import { type BindAddress, closeServer } from "../util/http.js";
import { NodeTransaction, RealNodeKernel } from "../dataplane/index.js";
import { detectFlavour, type Flavour } from "../netfilter/index.js";
import { IptablesProxier } from "./iptables/proxier.js";
import { NftablesProxier } from "./nftables/proxier.js";
import { nodePortIPs } from "./nftables/nodeports.js";
import { ensureNfacct, readNfacct } from "./nfacct.js";
import { ServiceTracker } from "./tracker.js";
import { type Family, type ProxyConfig, ProxyError, type SyncResult } from "./types.js";
import type { AppliedPort } from "./categorize.js";

/** ProxyMode is kube-proxy's --proxy-mode, of the modes that run here. */
export type ProxyMode = "iptables" | "nftables";

/** FamilyProxier is what the daemon needs of one family's backend. */
interface FamilyProxier {
  readonly family: Family;
  readonly pendingFull: boolean;
  checkCanaries(): Promise<boolean>;
  sync(opts: { full?: boolean }): Promise<SyncResult>;
  appliedPorts(): Iterable<AppliedPort>;
}

/** DaemonOptions configure `podnet proxy`. */
export interface DaemonOptions {
  cfg: ProxyConfig;
  storeFile: string;
  /** follower, when given, is followed instead of storeFile (a tap of the agent's: see store/shared.ts). */
  follower?: Follower;
  statusFile?: string;
  families: Family[];
  /** mode is the backend: kube-proxy's iptables or nftables layout. */
  mode: ProxyMode;
  /** serviceCIDRs (--service-cidr, nftables mode) make traffic to unallocated ClusterIPs drop. */
  serviceCIDRs: string[];
  /** nodePortAddresses (--nodeport-addresses, nftables mode): CIDRs whose local addresses take NodePorts; none: the node IPs. */
  nodePortAddresses: string[];
  iptables: Flavour | "auto";
  syncPeriodMs: number;
  fullSyncPeriodMs: number;
  /** healthzBind is where `/healthz` and `/livez` are served (kube-proxy's --healthz-bind-address); none when undefined. */
  healthzBind?: BindAddress;
  /** metricsBind is where `/metrics` is served (kube-proxy's --metrics-bind-address); none when undefined. */
  metricsBind?: BindAddress;
  log: (line: string) => void;
}

/** SyncRecord is one sync as the status file lists it. */
export interface SyncRecord extends Omit<SyncResult, "written" | "deleted"> {
  family: Family;
  resourceVersion: number;
  at: string;
  written: string[];
  deleted: string[];
}

/** ProxyStatus is the status file's content. */
export interface ProxyStatus {
  pid: number;
  node: string;
  mode: ProxyMode;
  flavour: Flavour;
  resourceVersion: number;
  error?: string;
  syncs: SyncRecord[];
}

/** ProxyDaemon runs the sync loop until stopped. */
export class ProxyDaemon {
  private readonly tracker = new ServiceTracker();
  private proxiers: FamilyProxier[] = [];
  private readonly proxyHealth: ProxyHealth;
  private readonly health: HealthServers;
  private metrics: ProxyMetrics = NO_METRICS;
  private closers: (() => Promise<void>)[] = [];
  private status!: ProxyStatus;
  private readonly store: Follower;
  private nfacct = false;

  constructor(
    private readonly exec: Executor,
    private readonly opts: DaemonOptions,
  ) {
    // kube-proxy's health timeout: twice the sync period.
    this.proxyHealth = new ProxyHealth(2 * opts.syncPeriodMs);
    this.health = new HealthServers(() => this.proxyHealth.proxier().healthy);
    this.store = opts.follower ?? openFollower(opts.storeFile, opts.log);
  }

  /** start detects the flavour and runs the first full sync; it throws if that fails. */
  async start(): Promise<void> {
    // A datastore lists every kind first (a store file has nothing to wait for).
    await this.store.open();
    const { mode } = this.opts;
    // kube-proxy's nfacct counters, in iptables mode where the kernel (and the nfacct tool) have them.
    this.nfacct = mode === "iptables" && (await ensureNfacct(this.exec, null));
    const cfg = { ...this.opts.cfg, nfacct: this.nfacct };
    const flavour = this.opts.iptables === "auto" ? await detectFlavour(this.exec, null) : this.opts.iptables;
    this.proxiers = await Promise.all(
      this.opts.families.map(async (f): Promise<FamilyProxier> => {
        if (mode === "iptables") return new IptablesProxier(this.tracker, cfg, f, this.exec, null, flavour);
        const serviceCIDRs = this.opts.serviceCIDRs.filter((c) => c.includes(":") === (f === 6));
        const npIPs = await nodePortIPs(this.exec, null, f, cfg.nodeIPs, this.opts.nodePortAddresses);
        return new NftablesProxier(this.tracker, cfg, f, { serviceCIDRs, nodePortIPs: npIPs }, this.exec, null);
      }),
    );
    this.status = { pid: process.pid, node: cfg.nodeName, mode, flavour, resourceVersion: 0, syncs: [] };
    // As kube-proxy does: NodePorts on 127.0.0.0/8 need the kernel to route DNATed loopback traffic
    // (iptables mode only: kube-proxy's nftables mode has no localhost NodePorts).
    if (mode === "iptables" && cfg.localhostNodePorts && this.opts.families.includes(4))
      await new RealNodeKernel(this.exec, null, "system").apply(new NodeTransaction().sysctl("net.ipv4.conf.all.route_localnet", 1));
    try {
      await this.serve();
      await this.syncOnce(true);
    } catch (e) {
      await this.closeServers();
      throw e;
    }
  }

  /** serve opens the metrics and healthz endpoints that are configured. */
  private async serve(): Promise<void> {
    const { metricsBind, healthzBind } = this.opts;
    const named = (what: string, b: BindAddress) => (e: unknown) => {
      throw new ProxyError("serve", what, `${b.host}:${b.port}`, e);
    };
    if (metricsBind) {
      const nfacct = this.nfacct ? () => readNfacct(this.exec, null) : undefined;
      const m = await serveMetrics(metricsBind, this.opts.mode, nfacct).catch(named("proxy metrics on", metricsBind));
      this.metrics = m;
      this.closers.push(() => m.close());
    }
    if (healthzBind) {
      const srv = await serveHealthz(this.proxyHealth, healthzBind, (p, code) => this.metrics.answered(p, code)).catch(
        named("proxy healthz on", healthzBind),
      );
      this.closers.push(() => closeServer(srv));
    }
  }

  private async closeServers(): Promise<void> {
    for (const close of this.closers.splice(0)) await close();
  }

  /** run loops: sync on store changes, check canaries every syncPeriod, full sync every fullSyncPeriod. */
  async run(): Promise<void> {
    let lastCheck = Date.now();
    let lastFull = Date.now();
    try {
      await this.store.loop(async () => {
        let full = false;
        if (Date.now() - lastFull >= this.opts.fullSyncPeriodMs) full = true;
        if (Date.now() - lastCheck >= this.opts.syncPeriodMs) {
          lastCheck = Date.now();
          for (const p of this.proxiers)
            if (!(await p.checkCanaries())) {
              this.opts.log(`${this.opts.mode} rules of family ${p.family} were flushed; restoring them`);
              full = true;
            }
        }
        if (full) lastFull = Date.now();
        await this.syncOnce(full).catch((e: Error) => this.fail(e));
      });
    } finally {
      await this.health.close();
      await this.closeServers();
    }
  }

  /** applied is the cluster version the last sync enforced. */
  get applied(): number {
    return this.status?.resourceVersion ?? 0;
  }

  /** stop ends run() after the current sync. */
  stop(): void {
    this.store.stop();
  }

  private async syncOnce(full: boolean): Promise<void> {
    const changed = this.store.changed();
    if (!changed && !full && !this.proxiers.some((p) => p.pendingFull)) return;
    // A store that cannot be read is reported, and the rules stay as the last good state made them
    // (full resyncs after a flush still run).
    const snap: StoreSnapshot | undefined = changed ? this.store.read() : undefined;
    if (snap) {
      // Objects as a real API server may hold them: addresses with leading zeros, ranges with spaces.
      this.tracker.replaceAll(
        byKind<Service>(snap, "Service").map(readStored),
        byKind<EndpointSlice>(snap, "EndpointSlice").map(readStored),
      );
      const node = byKind<Node>(snap, "Node").find((n) => n.metadata.name === this.opts.cfg.nodeName);
      if (node) this.proxyHealth.syncNode(node);
      for (const p of this.proxiers) this.proxyHealth.queued(p.family);
      this.metrics.queued();
    }
    const rv = snap?.resourceVersion ?? this.status.resourceVersion;
    for (const p of this.proxiers) {
      const wasFull = full || p.pendingFull;
      const r = await p.sync({ full }).catch((e: unknown) => {
        if (e instanceof ProxyError && e.verb === "sync") this.metrics.failed(wasFull);
        throw e;
      });
      this.proxyHealth.updated(p.family);
      this.metrics.synced(r);
      if (r.writtenCount + r.deleted.length > 0 || r.full) this.record(p.family, rv, r);
      for (const e of r.errors) this.opts.log(e);
    }
    const applied = this.proxiers.flatMap((p) => [...p.appliedPorts()]);
    await this.health.sync(healthTargets(applied));
    this.metrics.localless(applied);
    this.status.resourceVersion = rv;
    if (this.store.error) this.status.error = this.store.error.message;
    else delete this.status.error;
    this.writeStatus();
  }

  private record(family: Family, rv: number, r: SyncResult): void {
    const rec: SyncRecord = { ...r, family, resourceVersion: rv, at: new Date().toISOString() };
    this.opts.log(
      `sync ${r.full ? "full" : "partial"} ipv${family}: ${r.writtenCount} chains written, ${r.deleted.length} deleted` +
        `${r.elementChanges === undefined ? "" : `, ${r.elementChanges} elements`}, compute ${r.computeMs.toFixed(1)} ms, ${this.opts.mode} ${r.iptablesMs.toFixed(1)} ms`,
    );
    this.status.syncs = [...this.status.syncs.slice(-49), rec];
  }

  private fail(e: Error): void {
    this.opts.log(e.message);
    this.status.error = e.message;
    this.writeStatus();
  }

  private writeStatus(): void {
    if (this.opts.statusFile) writeJsonAtomic(this.opts.statusFile, this.status);
  }
}
