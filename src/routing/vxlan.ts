/**
 * flannel's vxlan backend. Each node has one VXLAN device (VNI 1, UDP 8472, no learning, MTU =
 * underlay − 50) holding its block's network address as a /32. For each remote node it adds, in
 * flannel's order, a permanent neighbour (remote VTEP address → remote VTEP MAC), an FDB entry
 * (remote VTEP MAC → remote node IP) and only then the `onlink` route of the remote block via the
 * remote VTEP address, so no packet is routed before the kernel knows where to send it. Removal
 * runs the other way round: route, neighbour, FDB.
 */
import { createHash } from "node:crypto";
import { nthIP, parseCIDR } from "../util/ip.js";
import type { PodRoute } from "./routes.js";
import { familyOfCidr, type RouteNode, type RoutingSettings } from "./types.js";

/** VXLAN_DEV is the device name: podnet.<VNI>, as flannel names flannel.<VNI>. */
export function vxlanDev(s: Pick<RoutingSettings, "vni">): string {
  return `podnet.${s.vni}`;
}

/** vtepMac derives a stable, locally administered unicast MAC from the node name, so restarts keep it. */
export function vtepMac(node: string): string {
  const b = createHash("sha256").update(`podnet-vtep/${node}`).digest().subarray(0, 6);
  b[0] = ((b[0] as number) & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/** vtepAddress is the VTEP's own address: the network address of the node's first IPv4 block (flannel's choice). */
export function vtepAddress(n: RouteNode): string | undefined {
  const b = n.blocks.find((c) => familyOfCidr(c) === 4);
  const c = b ? parseCIDR(b) : undefined;
  return c ? nthIP(c, 0n) : undefined;
}

/** VxlanLink is the part of `ip -j -d link show` the device check reads. */
export interface VxlanLink {
  address?: string;
  mtu?: number;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; port?: number; learning?: boolean } };
}

/** vxlanDeviceOk says whether an existing device matches what this node needs (else it is recreated). */
export function vxlanDeviceOk(link: VxlanLink, self: RouteNode, s: RoutingSettings): boolean {
  const d = link.linkinfo?.info_data;
  return (
    link.linkinfo?.info_kind === "vxlan" &&
    d?.id === s.vni &&
    d.local === self.ip &&
    d.port === s.port &&
    d.learning === false &&
    link.mtu === s.underlayMtu - 50 &&
    link.address === vtepMac(self.name)
  );
}

/** vxlanDeviceBatch creates the device with its address (ip -batch text). */
export function vxlanDeviceBatch(self: RouteNode, s: RoutingSettings): string {
  const dev = vxlanDev(s);
  const addr = vtepAddress(self);
  return [
    `link add ${dev} address ${vtepMac(self.name)} mtu ${s.underlayMtu - 50} type vxlan id ${s.vni} local ${self.ip} dev ${s.underlayDev} dstport ${s.port} nolearning`,
    ...(addr ? [`address add ${addr}/32 dev ${dev}`] : []),
    `link set ${dev} up`,
    "",
  ].join("\n");
}

/** VxlanPeer is what one remote node needs on this node. */
export interface VxlanPeer {
  node: string;
  vtep: string;
  mac: string;
  ip: string;
  routes: PodRoute[];
}

/** vxlanPeers lists the remote nodes reachable over VXLAN (peers that have not published a MAC yet wait). */
export function vxlanPeers(self: RouteNode, nodes: RouteNode[], s: RoutingSettings): VxlanPeer[] {
  const dev = vxlanDev(s);
  const out: VxlanPeer[] = [];
  for (const n of nodes) {
    const vtep = vtepAddress(n);
    if (n.name === self.name || !n.vtepMac || !vtep || familyOfCidr(n.ip) !== 4) continue;
    const routes = n.blocks.filter((b) => familyOfCidr(b) === 4).map((dst) => ({ dst, via: vtep, dev, onlink: true }));
    out.push({ node: n.name, vtep, mac: n.vtepMac, ip: n.ip, routes });
  }
  return out;
}

/** KernelNeigh is the part of `ip -j neigh show dev …` the diff reads. */
export interface KernelNeigh {
  dst: string;
  lladdr?: string;
  state?: string[];
}

/** KernelFdb is the part of `bridge -j fdb show dev …` the diff reads. */
export interface KernelFdb {
  mac: string;
  dst?: string;
}

/** VxlanBatches are the three steps of a sync, run in this order: neighbours, FDB, routes. */
export interface VxlanBatches {
  neigh: string;
  fdb: string;
  /** routesAdd runs after the entries exist; routesDel runs first of all, before entries go. */
  routesAdd: string[];
  neighDel: string;
  fdbDel: string;
}

/** vxlanEntries diffs the wanted neighbours and FDB entries against the kernel's. */
export function vxlanEntries(peers: VxlanPeer[], neighs: KernelNeigh[], fdbs: KernelFdb[], s: RoutingSettings): Omit<VxlanBatches, "routesAdd"> {
  const dev = vxlanDev(s);
  const neigh: string[] = [];
  const fdb: string[] = [];
  for (const p of peers) {
    const n = neighs.find((x) => x.dst === p.vtep);
    if (!n || n.lladdr !== p.mac || !(n.state ?? []).includes("PERMANENT"))
      neigh.push(`neigh replace ${p.vtep} lladdr ${p.mac} dev ${dev} nud permanent`);
    if (!fdbs.some((f) => f.mac === p.mac && f.dst === p.ip)) fdb.push(`fdb replace ${p.mac} dev ${dev} dst ${p.ip} self permanent`);
  }
  const neighDel = neighs
    .filter((n) => (n.state ?? []).includes("PERMANENT") && !peers.some((p) => p.vtep === n.dst))
    .map((n) => `neigh del ${n.dst} dev ${dev}`);
  const fdbDel = fdbs
    .filter((f) => f.dst !== undefined && !peers.some((p) => p.mac === f.mac && p.ip === f.dst))
    .map((f) => `fdb del ${f.mac} dev ${dev} dst ${f.dst} self`);
  const text = (l: string[]) => (l.length ? `${l.join("\n")}\n` : "");
  return { neigh: text(neigh), fdb: text(fdb), neighDel: text(neighDel), fdbDel: text(fdbDel) };
}
