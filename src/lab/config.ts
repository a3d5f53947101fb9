/** The lab's own settings (lab.json): its nodes, cluster layout, and the root netns it must never touch. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ClusterConfig } from "../cluster/config.js";
import type { RoutingSettings } from "../routing/types.js";
import type { EtcdMember } from "./etcdmembers.js";
import { LabError } from "./layout.js";
import type { IpFamilyMode, LabNode } from "./topology.js";

/** LabConfig is what `lab up` decided. */
export interface LabConfig {
  name: string;
  nodes: LabNode[];
  cluster: ClusterConfig;
  /** rootNetnsInode is the inode of the namespace `lab up` ran in; the CNI plugin refuses to change it. */
  rootNetnsInode: string;
  /** iptables is the flavour the lab's kubelet marks (KUBE-IPTABLES-HINT); the proxies detect it. */
  iptables: "nft" | "legacy";
  /** routing is how pods reach pods on other nodes (host-gw, vxlan or bgp) and its parameters. */
  routing: RoutingSettings;
  /** cniMode is podnet-cni's data path on every node: a cni0 bridge (flannel) or routed veths (Calico). */
  cniMode?: "bridge" | "routed";
  /** ipFamily is "dual" for a dual-stack lab (IPv6 underlay, pod and service ranges too). */
  ipFamily?: IpFamilyMode;
  /** proxyMode is the node proxies' mode (`lab up --proxy-mode`); iptables when absent. */
  proxyMode?: "iptables" | "nftables";
  /** mirror turns on traffic mirroring on every node, to this interface (`lab up --mirror`). */
  mirror?: { iface: string };
  /** nodeAgent says each node's routing runs in a `podnet agent` process (`lab up --node-agent`). */
  nodeAgent?: boolean;
  /** supervise says a supervisor process restarts dead node daemons within a second (`lab up --supervise`, implied by --node-agent). */
  supervise?: boolean;
  /** datastore is the lab's etcd cluster (`lab up --datastore etcd`); the embedded store file when absent. */
  datastore?: { kind: "etcd"; members: EtcdMember[] };
  /** dns says the lab runs the cluster DNS (kube-dns at 10.96.0.10, `lab up` without --no-dns). */
  dns?: boolean;
  createdAt: string;
}

/** readLabConfig loads lab.json or fails with a hint to run `lab up`. */
export function readLabConfig(file: string, lab: string): LabConfig {
  if (!existsSync(file)) throw new LabError(`lab "${lab}" is not up: run "podnet lab up" first`);
  return JSON.parse(readFileSync(file, "utf8")) as LabConfig;
}

/** writeLabConfig saves lab.json. */
export function writeLabConfig(file: string, cfg: LabConfig): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(cfg, null, 2));
}
