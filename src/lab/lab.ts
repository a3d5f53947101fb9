/**
 * A lab: a multi-node cluster of network namespaces on one machine. The same per-node reconcile
 * runs here as on a real cluster; the lab supplies the store (embedded) and the kubelet (its own).
 * Every command that changes the lab holds the lab lock, and returns after the dataplane converged.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { clusterInformation } from "../cluster/information.js";
import { admitWithAction, DEFAULT_CLUSTER, DUAL_STACK_CLUSTER, runControllers } from "../cluster/index.js";
import type { Executor } from "../exec/types.js";
import type { KubeObject, Node, Subnet } from "../model/types.js";
import { type Flavour, systemFlavour } from "../netfilter/index.js";
import { IPIP_UNSUPPORTED } from "../routing/ipip.js";
import { DEFAULT_ROUTING, podMtu, type RoutingSettings } from "../routing/types.js";
import { withFileLock } from "../store/embedded.js";
import { awaitControllers, ensureControllers } from "./controllers.js";
import { startEtcd } from "./etcdcluster.js";
import { etcdMembers } from "./etcdmembers.js";
import { type LabStore, openLabStore, storeLocation } from "./labstore.js";
import { buildTopology, destroyTopology, ownNetnsInode, startInternetServer } from "./bootstrap.js";
import { CONFLIST_FILE, nodeConfList } from "../agent/cniconf.js";
import { CLUSTER_DOMAIN, dnsObjects, dnsServers, removeLabResolvs, startUpstreamResolver } from "./dns.js";
import { type LabConfig, readLabConfig, writeLabConfig } from "./config.js";
import type { NodeRuntime } from "./kubelet.js";
import { LabError, LabPaths, nodeNetns } from "./layout.js";
import { syncRouting, syncServiceRoutes } from "./network.js";
import { AGENT } from "./agent.js";
import { ensureSupervisor, stopSupervisor } from "./supervisor.js";
import { ensureAgents, waitForAgents } from "./agents.js";
import { reconcileLab } from "./reconcile.js";
import { applyDefaults } from "../model/defaults.js";
import { POLICY } from "./policy.js";
import { markIptablesFlavour, PROXY } from "./proxy.js";
import { cniSocket, ensureCniAgents } from "./cniagent.js";
import { SandboxDir } from "./sandbox.js";
import { type IpFamilyMode, labNodes } from "./topology.js";

const REPO_BIN = fileURLToPath(new URL("../../../bin", import.meta.url));
/** CNI_PATH is where the lab's runtime looks for plugins: podnet's own bin, then the system's. */
export const CNI_PATH = [REPO_BIN, "/usr/lib/cni", "/opt/cni/bin"];

/** LB_POOL is where the lab's LoadBalancer services get ingress IPs: the top of the underlay network. */
export const LB_POOL = "172.18.0.192/26";

const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/** Lab is one lab's handle: its paths, store and executor. */
export class Lab {
  readonly paths: LabPaths;
  private opened: LabStore | undefined;
  constructor(
    readonly exec: Executor,
    stateDir: string,
    readonly name: string,
  ) {
    this.paths = new LabPaths(stateDir, name);
  }

  /** store is the lab's store, the embedded file or its etcd cluster (opened on first use: the lab must be up). */
  get store(): LabStore {
    this.opened ??= openLabStore(this.paths, this.config());
    return this.opened;
  }

  /** close ends the store's connections, so the process can exit. */
  async close(): Promise<void> {
    await this.opened?.close();
    this.opened = undefined;
  }

  /** config reads lab.json (fails when the lab is not up). */
  config(): LabConfig {
    return readLabConfig(this.paths.config, this.name);
  }

  /** locked runs fn holding the lab lock, so concurrent CLI invocations take turns. */
  locked<R>(fn: () => Promise<R>): Promise<R> {
    mkdirSync(this.paths.dir, { recursive: true });
    return withFileLock(this.paths.lock, fn);
  }

  /** up builds the lab; a failure (or Ctrl-C) tears down whatever was built. */
  async up(
    nodeCount: number,
    opts: {
      iptables?: Flavour | "auto";
      routing?: Partial<RoutingSettings>;
      cniMode?: "bridge" | "routed";
      ipFamily?: IpFamilyMode;
      mirror?: { iface: string };
      proxyMode?: "iptables" | "nftables";
      dns?: boolean;
      nodeAgent?: boolean;
      supervise?: boolean;
      datastore?: "embedded" | "etcd";
    } = {},
  ): Promise<LabConfig> {
    const routing = { ...DEFAULT_ROUTING, ...opts.routing };
    if (routing.mode === "ipip") throw new LabError(`failed to create lab "${this.name}": ${IPIP_UNSUPPORTED}`);
    return this.locked(async () => {
      if (existsSync(this.paths.config))
        throw new LabError(`failed to create lab "${this.name}": it is already up (run "podnet lab down --lab ${this.name}" first)`);
      const cfg: LabConfig = {
        routing,
        cniMode: opts.cniMode ?? "bridge",
        ipFamily: opts.ipFamily ?? "ipv4",
        ...(opts.mirror ? { mirror: opts.mirror } : {}),
        ...(opts.proxyMode && opts.proxyMode !== "iptables" ? { proxyMode: opts.proxyMode } : {}),
        ...(opts.dns !== false ? { dns: true } : {}),
        ...(opts.nodeAgent ? { nodeAgent: true } : {}),
        ...(opts.supervise || opts.nodeAgent || opts.datastore === "etcd" ? { supervise: true } : {}),
        ...(opts.datastore === "etcd" ? { datastore: { kind: "etcd" as const, members: etcdMembers(this.name) } } : {}),
        name: this.name,
        nodes: labNodes(nodeCount, opts.ipFamily),
        cluster: { ...(opts.ipFamily === "dual" ? DUAL_STACK_CLUSTER : DEFAULT_CLUSTER), loadBalancerPool: LB_POOL },
        rootNetnsInode: ownNetnsInode(),
        iptables: !opts.iptables || opts.iptables === "auto" ? await systemFlavour(this.exec) : opts.iptables,
        createdAt: new Date().toISOString(),
      };
      try {
        writeLabConfig(this.paths.config, cfg);
        await buildTopology(this.exec, this.name, cfg.nodes, cfg.ipFamily);
        if (cfg.datastore) await startEtcd(this.exec, this.paths, cfg);
        await this.store.create((tx) => {
          for (const ns of SYSTEM_NAMESPACES) tx.put(applyDefaults({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }));
          // On etcd, the controller replicas read the cluster's layout from its identity record.
          if (cfg.datastore) tx.put(clusterInformation(cfg.cluster, randomUUID()));
        });
        await ensureControllers(this.exec, this.paths, cfg, new Set());
        await startInternetServer(this.exec, this.name, join(this.paths.dir, "internet.log"), cfg.ipFamily);
        await Promise.all(cfg.nodes.map((n) => markIptablesFlavour(this.exec, nodeNetns(this.name, n.name), cfg.iptables)));
        await this.registerNodes(cfg);
        await this.syncNetwork(cfg);
        // The policy agent after the proxy: both put their jumps first in FORWARD, and policy's must win.
        await Promise.all([
          ensureAgents(this.exec, this.paths, cfg, PROXY).then(() => ensureAgents(this.exec, this.paths, cfg, POLICY)),
          ensureCniAgents(this.exec, this.paths, cfg),
        ]);
        if (cfg.dns) await this.startDns(cfg);
        if (cfg.supervise) await ensureSupervisor(this.exec, this.paths);
        return cfg;
      } catch (e) {
        await this.teardown();
        throw new LabError(`failed to create lab "${this.name}": ${(e as Error).message}`, { cause: e });
      }
    });
  }

  /** startDns runs the upstream resolver on the external host, then kube-dns and its pods, as kubeadm's addon. */
  private async startDns(cfg: LabConfig): Promise<void> {
    await startUpstreamResolver(this.exec, this.name, this.paths.dir, cfg.ipFamily ?? "ipv4");
    await this.store.update((tx) => {
      for (const o of dnsObjects(cfg.ipFamily ?? "ipv4")) admitWithAction(tx, o, cfg.cluster);
    });
    const { failures } = await this.reconcile();
    if (failures.length > 0) throw new LabError(`failed to start the cluster DNS: ${failures.join("; ")}`);
  }

  /** registerNodes creates the Node objects the store lacks and writes every node's CNI config. */
  async registerNodes(cfg: LabConfig): Promise<void> {
    await this.store.update((tx) => {
      for (const ns of SYSTEM_NAMESPACES)
        if (!tx.get({ kind: "Namespace", name: ns }))
          tx.put(applyDefaults({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }));
      for (const n of cfg.nodes)
        if (!tx.get({ kind: "Node", name: n.name }))
          tx.put({
            apiVersion: "v1",
            kind: "Node",
            metadata: {
              name: n.name,
              labels: { "kubernetes.io/hostname": n.name, "kubernetes.io/os": "linux" },
            },
            spec: {},
            status: {
              addresses: [
                { type: "InternalIP", address: n.ip },
                ...(n.ip6 ? [{ type: "InternalIP", address: n.ip6 }] : []),
                { type: "Hostname", address: n.name },
              ],
              conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }],
            },
          });
      // On etcd the controller leader gives the new Nodes their pod CIDRs.
      if (!cfg.datastore) runControllers(tx, cfg.cluster);
    });
    await awaitControllers(this, cfg);
    await this.writeCniConfigs(cfg);
  }

  /** writeCniConfigs writes each node's conflist: its pod CIDRs and its blocks of every Subnet. */
  async writeCniConfigs(cfg: LabConfig): Promise<void> {
    const { nodes, subnets } = await this.store.read((tx) => ({ nodes: tx.list<Node>("Node"), subnets: tx.list<Subnet>("Subnet") }));
    for (const n of nodes) {
      const dir = this.paths.cniConfDir(n.metadata.name);
      mkdirSync(dir, { recursive: true });
      const name = n.metadata.name;
      const conf = nodeConfList(n, {
        ipamDataDir: this.paths.ipamDir(name),
        mtu: podMtu(cfg.routing),
        subnets,
        mode: cfg.cniMode,
        agentSocket: cniSocket(this.paths, name),
        ...(cfg.dns ? { dns: { nameservers: dnsServers(cfg), domain: CLUSTER_DOMAIN } } : {}),
      });
      const text = JSON.stringify(conf, null, 2);
      writeFileSync(join(dir, CONFLIST_FILE), text);
    }
  }

  /** down removes every namespace, process and file of the lab; safe to run twice or after a crash. */
  async down(): Promise<string[]> {
    return this.locked(() => this.teardown());
  }

  private async teardown(): Promise<string[]> {
    await this.close();
    await stopSupervisor(this.paths);
    const removed = await destroyTopology(this.exec, this.name);
    removeLabResolvs(this.name);
    rmSync(this.paths.dir, { recursive: true, force: true, maxRetries: 3 });
    return removed;
  }

  /** nodeRuntime is the kubelet view of one node. */
  nodeRuntime(cfg: LabConfig, node: string): NodeRuntime {
    return {
      exec: this.exec,
      lab: this.name,
      node,
      nodeNetns: nodeNetns(this.name, node),
      cniConfFile: join(this.paths.cniConfDir(node), "10-podnet.conflist"),
      cniPath: CNI_PATH,
      sandboxes: new SandboxDir(this.paths.sandboxDir(node)),
      rootNetnsInode: cfg.rootNetnsInode,
      storeFile: storeLocation(this.paths, cfg, "dns", "socket"),
      ...(cfg.dns ? { dnsServers: dnsServers(cfg) } : {}),
    };
  }

  /** reconcile runs one pass of the lab's control loop (see reconcile.ts). */
  async reconcile(): Promise<{ failures: string[] }> {
    const r = await reconcileLab(this);
    if (this.config().supervise) await ensureSupervisor(this.exec, this.paths);
    return r;
  }

  /** syncNetwork programs the lab's routes: pod blocks between nodes (the routing mode), service addresses on the underlay. */
  async syncNetwork(cfg: LabConfig): Promise<void> {
    if (cfg.nodeAgent) {
      await ensureAgents(this.exec, this.paths, cfg, AGENT);
      await waitForAgents(this.paths, cfg, AGENT, await this.store.version(), 30_000);
    } else await syncRouting(this.exec, this.paths, this.store, cfg);
    await syncServiceRoutes(this.exec, this.store, cfg);
  }
}

/** checkApplicable refuses kinds users may not apply in the lab (nodes belong to `lab up`). */
export function checkApplicable(obj: KubeObject): void {
  if (obj.kind === "Node")
    throw new LabError(`Node "${obj.metadata.name}" cannot be applied: lab nodes are created by "podnet lab up --nodes N"`);
}
