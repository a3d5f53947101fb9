/**
 * The lab's etcd cluster as data (`lab up --datastore etcd`): three members, each in a namespace of
 * its own on the underlay (172.18.0.2-4, below the nodes), serving peers and clients over TLS with
 * client certificates only. Every member also serves its clients on a unix socket in the lab's
 * state directory: that is how the lab's CLI, which runs outside the lab's namespaces, reaches
 * them (the lab never links to the root namespace). The nodes' daemons use the underlay.
 */
import { join } from "node:path";
import { type CertSpec, certFiles } from "./pki.js";
import { type LabPaths, netnsPrefix } from "./layout.js";
import type { LabNode } from "./topology.js";

/** EtcdMember is one member of the lab's etcd cluster. */
export interface EtcdMember {
  name: string;
  index: number;
  ip: string;
  netns: string;
}

/** ETCD_PORTS are the members' client and peer ports, etcd's defaults. */
export const ETCD_PORTS = { client: 2379, peer: 2380 } as const;

/** ETCD_MEMBERS is the size of the lab's etcd cluster: three tolerate the loss of one. */
export const ETCD_MEMBERS = 3;

/** etcdMembers names and addresses the members of a lab's etcd: etcd-i at 172.18.0.(1+i). */
export function etcdMembers(lab: string, count = ETCD_MEMBERS): EtcdMember[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `etcd-${i + 1}`,
    index: i + 1,
    ip: `172.18.0.${2 + i}`,
    netns: `${netnsPrefix(lab)}etcd-${i + 1}`,
  }));
}

/** etcdDir holds the members' data, logs, records and unix sockets. */
export function etcdDir(paths: LabPaths): string {
  return join(paths.dir, "etcd");
}

/** pkiDir holds the lab's CA and certificates. */
export function pkiDir(paths: LabPaths): string {
  return join(paths.dir, "pki");
}

/** memberSocket is a member's unix socket (etcd names it HOST:PORT, in its working directory). */
export function memberSocket(paths: LabPaths, m: EtcdMember): string {
  return join(etcdDir(paths), `${m.name}:${ETCD_PORTS.client}`);
}

/** memberMarker tells a member's process from another that reused its PID: its data directory. */
export function memberMarker(paths: LabPaths, m: EtcdMember): string {
  return join(etcdDir(paths), m.name, "data");
}

/** memberArgv is the command line of one member. */
export function memberArgv(paths: LabPaths, lab: string, members: EtcdMember[], m: EtcdMember): string[] {
  const tls = certFiles(pkiDir(paths), m.name);
  const peer = (x: EtcdMember) => `https://${x.ip}:${ETCD_PORTS.peer}`;
  return [
    "etcd",
    "--name",
    m.name,
    "--data-dir",
    memberMarker(paths, m),
    "--listen-client-urls",
    `https://${m.ip}:${ETCD_PORTS.client},unixs://${m.name}:${ETCD_PORTS.client}`,
    "--advertise-client-urls",
    `https://${m.ip}:${ETCD_PORTS.client}`,
    "--listen-peer-urls",
    peer(m),
    "--initial-advertise-peer-urls",
    peer(m),
    "--initial-cluster",
    members.map((x) => `${x.name}=${peer(x)}`).join(","),
    "--initial-cluster-state",
    "new",
    "--initial-cluster-token",
    `podnet-${lab}`,
    "--cert-file",
    tls.cert,
    "--key-file",
    tls.key,
    "--trusted-ca-file",
    tls.ca,
    "--client-cert-auth",
    "--peer-cert-file",
    tls.cert,
    "--peer-key-file",
    tls.key,
    "--peer-trusted-ca-file",
    tls.ca,
    "--peer-client-cert-auth",
    "--logger",
    "zap",
    "--log-level",
    "warn",
    // EtcdStore commits a whole apply as one transaction: etcd's default allows 128 operations.
    "--max-txn-ops",
    "10000",
  ];
}

/** Identity is who a client is to etcd: the common name of its certificate. */
export type Identity = "admin" | "dns" | "ui" | `controller-${number}` | `node-${string}`;

/** nodeIdentity is the identity of a node's daemons (agent, proxy, policy, QoS, CNI agent), as a kubelet's is system:node:NAME. */
export function nodeIdentity(node: string): Identity {
  return `node-${node}`;
}

/** CONTROLLERS is how many controller replicas the lab on etcd runs. */
export const CONTROLLERS = 2;

/** certSpecs lists the lab's certificates: each member's, and each component's client certificate. */
export function certSpecs(members: EtcdMember[], nodes: LabNode[]): CertSpec[] {
  return [
    ...members.map((m) => ({ name: m.name, server: { ips: [m.ip], dns: ["localhost"] } })),
    { name: "admin" },
    { name: "dns" },
    { name: "ui" },
    ...Array.from({ length: CONTROLLERS }, (_, i) => ({ name: `controller-${i + 1}` })),
    ...nodes.map((n) => ({ name: nodeIdentity(n.name) })),
  ];
}

/** etcdLocation is the datastore location a component opens: the members over the underlay, or their unix sockets. */
export function etcdLocation(paths: LabPaths, members: EtcdMember[], who: Identity, via: "underlay" | "socket"): string {
  const f = certFiles(pkiDir(paths), who);
  const hosts = members.map((m) => (via === "socket" ? `unix:${memberSocket(paths, m)}` : `${m.ip}:${ETCD_PORTS.client}`));
  const q = new URLSearchParams({ ca: f.ca, cert: f.cert, key: f.key });
  return `etcd://${hosts.join(",")}?${q.toString()}`;
}
