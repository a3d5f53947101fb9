/**
 * `podnet agent`: one process per node, as flanneld or calico-node. This first part hosts the
 * node's routing (host-gw, vxlan or bgp: routes, VXLAN entries, BIRD, egress NAT) over the
 * cluster it follows (a store file or a datastore), programs only its own node, resyncs every
 * resync period to repair drift, and records the version it has applied in a status file, so the
 * lab waits for every node. A restarted agent adopts the kernel state it finds. On etcd it also
 * keeps the node's heartbeat (the kube-node-lease Lease), which the node lifecycle controller
 * follows. It hosts the node's service proxy (see proxy.ts: one watch for both) and serves the
 * CNI plugin's calls on the node's agent socket, as podnet-cni agent does on its own.
 */
import { NodeHeartbeat } from "../cluster/heartbeat.js";
import { registerNode } from "../cluster/registration.js";
import { type NodeKernel, RealNodeKernel } from "../dataplane/index.js";
import type { Server } from "node:net";
import { serveAgent as serveCniAgent } from "../cni/agent.js";
import type { Executor } from "../exec/types.js";
import { detectFlavour, type Flavour } from "../netfilter/index.js";
import { NodeRouting } from "../routing/agent.js";
import { podMtu, type RoutingSettings } from "../routing/types.js";
import { byKind, type StoreSnapshot } from "../store/follow.js";
import type { Node, Subnet } from "../model/types.js";
import type { Follower } from "../store/follow.js";
import { type Cluster, openCluster } from "../store/open.js";
import { SharedFollower } from "../store/shared.js";
import type { BindAddress } from "../util/http.js";
import { writeJsonAtomic } from "../util/jsonfile.js";
import { type AgentMetrics, NO_AGENT_METRICS, serveAgent } from "./metrics.js";
import { ConfListWriter } from "./cniconf.js";
import { HostedProxy, type HostedProxyOptions } from "./proxy.js";
import { RoutingLoop, routingInputs } from "./routing.js";

/** AgentOptions configure `podnet agent`. */
export interface AgentOptions {
  node: string;
  /** store is the store file or datastore URL (as --store). */
  store: string;
  statusFile?: string;
  settings: RoutingSettings;
  clusterCIDRs: string[];
  /** stateDir holds BIRD's files. */
  stateDir: string;
  iptables: Flavour | "auto";
  resyncPeriodMs: number;
  /** bind serves /metrics, /healthz and /readyz; none when undefined. */
  bind?: BindAddress;
  /** heartbeatTtlSeconds is the node lease's TTL on a datastore with leases (etcd); 0: no heartbeat. */
  heartbeatTtlSeconds?: number;
  /** nodeIPs register the node (its Node, when the cluster has none) with these InternalIPs. */
  nodeIPs?: string[];
  /** cni writes the node's conflist into confDir once it has a pod CIDR, with IPAM state in ipamDir. */
  cni?: { confDir: string; ipamDir: string };
  /** proxy runs the node's service proxy in the agent; none when undefined. */
  proxy?: HostedProxyOptions;
  /** cniSocket is where the agent answers the CNI plugin's calls (podnet-cni agent's work); none when undefined. */
  cniSocket?: string;
  /** kernel replaces the node's kernel (the scale benchmark's simulated nodes); default: the real one. */
  kernel?: NodeKernel;
  log: (line: string) => void;
}

/** AgentStatus is the status file: the lab waits until resourceVersion reaches its change. */
export interface AgentStatus {
  pid: number;
  node: string;
  /** resourceVersion is the newest cluster version the node converged to. */
  resourceVersion: number;
  converged: boolean;
  pending: string[];
  passes: number;
  error?: string;
}

/** AgentDaemon runs the node's loop until stopped. */
export class AgentDaemon {
  private readonly cluster: Cluster;
  /** follower is the routing's tap of the cluster; the hosted proxy has its own. */
  private readonly follower: Follower;
  private readonly proxy: HostedProxy | undefined;
  private cniServer: Server | undefined;
  private loop!: RoutingLoop;
  private metrics: AgentMetrics = NO_AGENT_METRICS;
  private last: StoreSnapshot | undefined;
  private lastPass = 0;
  private inputs = "";
  private readonly status: AgentStatus;
  private readonly heartbeat: NodeHeartbeat | undefined;
  private joined = false;
  private readonly conflist: ConfListWriter | undefined;

  constructor(
    private readonly exec: Executor,
    private readonly o: AgentOptions,
  ) {
    this.cluster = openCluster(o.store, o.log);
    const shared = new SharedFollower(this.cluster.follower);
    this.follower = shared.tap();
    if (o.proxy) this.proxy = new HostedProxy(exec, o.proxy, shared, o.log);
    this.status = { pid: process.pid, node: o.node, resourceVersion: 0, converged: false, pending: [], passes: 0 };
    // An embedded store's leases live in the process that holds them: they would outlive a dead agent there.
    if (o.cni)
      this.conflist = new ConfListWriter(o.cni.confDir, o.node, {
        ipamDataDir: o.cni.ipamDir,
        mtu: podMtu(o.settings),
        ...(o.cniSocket ? { agentSocket: o.cniSocket } : {}),
      });
    const ttl = o.heartbeatTtlSeconds ?? 0;
    if (ttl > 0 && this.cluster.ds.kind === "etcd") this.heartbeat = new NodeHeartbeat(this.cluster.ds, o.node, ttl, o.log);
  }

  /** start opens the cluster, serves the endpoints and runs the first pass (whose failure is reported, not fatal). */
  async start(): Promise<void> {
    await this.follower.open();
    const flavour = async () => (this.o.iptables === "auto" ? await detectFlavour(this.exec, null) : this.o.iptables);
    const routing = new NodeRouting({
      kernel: this.o.kernel ?? new RealNodeKernel(this.exec, null, await flavour()),
      exec: this.exec,
      settings: this.o.settings,
      stateDir: this.o.stateDir,
    });
    this.loop = new RoutingLoop({
      node: this.o.node,
      routing,
      settings: this.o.settings,
      clusterCIDRs: this.o.clusterCIDRs,
      store: this.cluster.store,
      routedTimeoutMs: 20_000,
    });
    if (this.o.bind)
      this.metrics = await serveAgent(this.o.bind, {
        alive: () => Date.now() - this.lastPass < 2 * this.o.resyncPeriodMs,
        ready: () => this.status.converged && !this.status.error && !this.proxy?.error,
      });
    if (this.o.cniSocket) {
      this.cniServer = await serveCniAgent(this.exec, this.o.cniSocket, (line) => this.o.log(`cni: ${line.trimEnd()}`));
      this.o.log(`serving CNI calls on ${this.o.cniSocket}`);
    }
    await this.tick();
  }

  /** applied is the newest cluster version the node converged to. */
  get applied(): number {
    return this.status.resourceVersion;
  }

  /** proxyApplied is the cluster version the hosted proxy's last sync enforced (0 without one). */
  get proxyApplied(): number {
    return this.proxy?.applied ?? 0;
  }

  /** run follows the cluster until stop(). */
  async run(): Promise<void> {
    try {
      await this.follower.loop(() => this.tick());
    } finally {
      this.proxy?.stop();
      await this.proxy?.wait();
      // Calls in flight finish before the server closes.
      await new Promise<void>((r) => (this.cniServer ? this.cniServer.close(() => r()) : r()));
      await this.metrics.close();
      await this.cluster.ds.close();
    }
  }

  /** stop ends run() after the current pass; the node lease is left to run out (a restart within its TTL goes unnoticed). */
  stop(): void {
    void this.heartbeat?.stop(false);
    this.proxy?.stop();
    this.follower.stop();
  }

  /** join registers the node, then starts its heartbeat, once the datastore takes them (tried on every wake-up until then). */
  private async join(): Promise<void> {
    if (this.joined || !(this.heartbeat || this.o.nodeIPs?.length)) return;
    try {
      if (this.o.nodeIPs?.length && (await registerNode(this.cluster.ds, this.o.node, this.o.nodeIPs)))
        this.o.log(`registered Node "${this.o.node}" (${this.o.nodeIPs.join(", ")})`);
      await this.heartbeat?.start();
      this.joined = true;
    } catch (e) {
      if ((e as Error).message !== this.status.error) this.o.log(`failed to join the cluster: ${(e as Error).message}`);
    }
  }

  /** tick runs a pass when the cluster changed, or on the last snapshot when a resync is due. */
  private async tick(): Promise<void> {
    await this.join();
    const f = this.follower;
    const due = Date.now() - this.lastPass >= this.o.resyncPeriodMs;
    const snap = f.changed() ? f.read() : due || !this.status.converged ? this.last : undefined;
    if (f.error) {
      this.metrics.datastoreError();
      this.status.error = f.error.message;
    }
    await this.proxy?.ensure(snap ?? this.last);
    if (!snap) return this.write();
    this.last = snap;
    // A change to nothing routing reads (an endpoint, a policy) needs no pass: the node is in step at its version.
    const inputs = routingInputs(snap);
    if (!due && this.status.converged && inputs === this.inputs) {
      this.status.resourceVersion = snap.resourceVersion;
      if (!f.error) delete this.status.error;
      return this.write();
    }
    this.inputs = inputs;
    this.lastPass = Date.now();
    const t0 = performance.now();
    try {
      const r = await this.loop.sync(snap);
      const wrote = this.conflist?.write(byKind<Node>(snap, "Node"), byKind<Subnet>(snap, "Subnet"));
      if (wrote) this.o.log(`wrote ${wrote}`);
      this.metrics.synced((performance.now() - t0) / 1000, r.converged ? "converged" : "pending");
      if (r.changes > 0) this.o.log(`routing: ${r.changes} changes at version ${snap.resourceVersion}`);
      if (r.pending.length && r.pending.join() !== this.status.pending.join())
        this.o.log(`routing: waiting for ${r.pending.join(", ")} to publish their side`);
      this.status.converged = r.converged;
      this.status.pending = r.pending;
      if (r.converged) this.status.resourceVersion = snap.resourceVersion;
      if (!f.error) delete this.status.error;
    } catch (e) {
      this.metrics.synced((performance.now() - t0) / 1000, "error");
      // A failing pass is tried again on every wake-up: said once per distinct reason.
      if ((e as Error).message !== this.status.error) this.o.log((e as Error).message);
      this.status.converged = false;
      this.status.error = (e as Error).message;
    }
    this.status.passes++;
    this.write();
  }

  private write(): void {
    if (this.o.statusFile) writeJsonAtomic(this.o.statusFile, this.status);
  }
}
