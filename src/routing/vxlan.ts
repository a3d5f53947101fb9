/**
 * flannel's vxlan backend. Each node has one VXLAN device (VNI 1, UDP 8472, no learning, MTU =
 * underlay − 50) holding its block's network address as a /32. For each remote node it adds, in
 * flannel's order, a permanent neighbour (remote VTEP address → remote VTEP MAC), an FDB entry
 * (remote VTEP MAC → remote node IP) and only then the `onlink` route of the remote block via the
 * remote VTEP address, so no packet is routed before the kernel knows where to send it. Removal
 * runs the other way round: route, neighbour, FDB. On a dual-stack cluster the same device also
 * carries IPv6 pods over the IPv4 underlay: it holds its IPv6 block's network address as a /128,
 * and each peer gets a second neighbour (its IPv6 VTEP address, same MAC) and `onlink` IPv6 routes.
 * (flannel runs a second device over an IPv6 underlay instead; one device needs no IPv6 underlay.)
 */
import { createHash } from "node:crypto";
import { nthIP, parseCIDR } from "../util/ip.js";
import type { PodRoute } from "./routes.js";
import type { Family } from "../util/ip.js";
import { blockFamilies, familyOfCidr, type RouteNode, type RoutingSettings } from "./types.js";

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

/** vtepAddress is the VTEP's own address of a family: the network address of the node's first block of that family (flannel's choice). */
export function vtepAddress(n: RouteNode, family: Family = 4): string | undefined {
  const b = n.blocks.find((c) => familyOfCidr(c) === family);
  const c = b ? parseCIDR(b) : undefined;
  return c ? nthIP(c, 0n) : undefined;
}

/** vtepCidrs are the addresses the node's VXLAN device holds: one host address per family it hosts blocks of. */
export function vtepCidrs(n: RouteNode): string[] {
  return blockFamilies(n).flatMap((f) => {
    const a = vtepAddress(n, f);
    return a ? [`${a}/${f === 4 ? 32 : 128}`] : [];
  });
}

/** VxlanLink is the part of `ip -j -d addr show` the device check reads. */
export interface VxlanLink {
  address?: string;
  mtu?: number;
  addr_info?: { local: string; prefixlen: number }[];
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

/** vxlanAddressLines adds the VTEP addresses the device lacks (IPv6 without duplicate address detection). */
export function vxlanAddressLines(self: RouteNode, s: RoutingSettings, have: VxlanLink["addr_info"] = []): string[] {
  const held = new Set(have.map((a) => `${a.local}/${a.prefixlen}`));
  return vtepCidrs(self)
    .filter((c) => !held.has(c))
    .map((c) => `address replace ${c} dev ${vxlanDev(s)}${c.includes(":") ? " nodad" : ""}`);
}

/** vxlanDeviceBatch creates the device with its addresses (ip -batch text). */
export function vxlanDeviceBatch(self: RouteNode, s: RoutingSettings): string {
  const dev = vxlanDev(s);
  return [
    `link add ${dev} address ${vtepMac(self.name)} mtu ${s.underlayMtu - 50} type vxlan id ${s.vni} local ${self.ip} dev ${s.underlayDev} dstport ${s.port} nolearning`,
    ...vxlanAddressLines(self, s),
    `link set ${dev} up`,
    "",
  ].join("\n");
}

/** VxlanPeer is what one remote node needs on this node. */
export interface VxlanPeer {
  node: string;
  /** vteps are the peer's VTEP addresses, IPv4 first: one permanent neighbour each. */
  vteps: string[];
  mac: string;
  ip: string;
  routes: PodRoute[];
}

/** vxlanPeers lists the remote nodes reachable over VXLAN (peers that have not published a MAC yet wait). */
export function vxlanPeers(self: RouteNode, nodes: RouteNode[], s: RoutingSettings): VxlanPeer[] {
  const dev = vxlanDev(s);
  const out: VxlanPeer[] = [];
  const mine = blockFamilies(self);
  for (const n of nodes) {
    if (n.name === self.name || !n.vtepMac || familyOfCidr(n.ip) !== 4) continue;
    const vtep = new Map(blockFamilies(n).flatMap((f) => (mine.includes(f) ? [[f, vtepAddress(n, f) as string] as const] : [])));
    if (!vtep.has(4)) continue;
    const routes = n.blocks.flatMap((dst) => {
      const via = vtep.get(familyOfCidr(dst));
      return via ? [{ dst, via, dev, onlink: true }] : [];
    });
    out.push({ node: n.name, vteps: [...vtep.values()], mac: n.vtepMac, ip: n.ip, routes });
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
    for (const vtep of p.vteps) {
      const n = neighs.find((x) => x.dst === vtep);
      if (!n || n.lladdr !== p.mac || !(n.state ?? []).includes("PERMANENT"))
        neigh.push(`neigh replace ${vtep} lladdr ${p.mac} dev ${dev} nud permanent`);
    }
    if (!fdbs.some((f) => f.mac === p.mac && f.dst === p.ip)) fdb.push(`fdb replace ${p.mac} dev ${dev} dst ${p.ip} self permanent`);
  }
  const neighDel = neighs
    .filter((n) => (n.state ?? []).includes("PERMANENT") && !peers.some((p) => p.vteps.includes(n.dst)))
    .map((n) => `neigh del ${n.dst} dev ${dev}`);
  const fdbDel = fdbs
    .filter((f) => f.dst !== undefined && !peers.some((p) => p.mac === f.mac && p.ip === f.dst))
    .map((f) => `fdb del ${f.mac} dev ${dev} dst ${f.dst} self`);
  const text = (l: string[]) => (l.length ? `${l.join("\n")}\n` : "");
  return { neigh: text(neigh), fdb: text(fdb), neighDel: text(neighDel), fdbDel: text(fdbDel) };
}
