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
import type { Address, FdbEntry, IpTransaction, Link, LinkState, Neighbour, Route } from "../iproute/index.js";
import { nthIP, parseCIDR } from "../util/ip.js";
import { derivedMac } from "../util/mac.js";
import type { Family } from "../util/ip.js";
import { podRoute } from "./routes.js";
import { blockFamilies, familyOfCidr, podMtu, type RouteNode, type RoutingSettings } from "./types.js";

/** vxlanDev is the device name: podnet.<VNI>, as flannel names flannel.<VNI>. */
export function vxlanDev(s: Pick<RoutingSettings, "vni">): string {
  return `podnet.${s.vni}`;
}

/** vtepMac derives a stable, locally administered unicast MAC from the node name, so restarts keep it. */
export function vtepMac(node: string): string {
  return derivedMac(`podnet-vtep/${node}`);
}

/** vtepAddress is the VTEP's own address of a family: the network address of the node's first block of that family (flannel's choice). */
export function vtepAddress(n: RouteNode, family: Family = 4): string | undefined {
  const b = n.blocks.find((c) => familyOfCidr(c) === family);
  const c = b ? parseCIDR(b) : undefined;
  return c ? nthIP(c, 0n) : undefined;
}

/** vtepAddresses are the addresses the node's VXLAN device holds: one host address per family it hosts blocks of. */
export function vtepAddresses(n: RouteNode, s: RoutingSettings): Address[] {
  return blockFamilies(n).flatMap((f) => {
    const a = vtepAddress(n, f);
    return a ? [{ dev: vxlanDev(s), cidr: `${a}/${f === 4 ? 32 : 128}`, ...(f === 6 ? { nodad: true } : {}) }] : [];
  });
}

/** vxlanLink is the device this node needs: its MAC derived from its name, its MTU the pods' MTU. */
export function vxlanLink(self: RouteNode, s: RoutingSettings): Link {
  return {
    name: vxlanDev(s),
    kind: "vxlan",
    address: vtepMac(self.name),
    mtu: podMtu(s),
    vxlan: { id: s.vni, local: self.ip, dev: s.underlayDev, port: s.port, learning: false },
  };
}

/** vxlanDeviceOk says whether an existing device matches what this node needs (else it is recreated). */
export function vxlanDeviceOk(have: Link, want: Link): boolean {
  const h = have.vxlan;
  const w = want.vxlan;
  return (
    have.kind === "vxlan" &&
    !!h &&
    !!w &&
    h.id === w.id &&
    h.local === w.local &&
    h.port === w.port &&
    h.learning === w.learning &&
    have.mtu === want.mtu &&
    have.address === want.address
  );
}

/** planDevice creates (or recreates) the device with its addresses, or adds the addresses it lacks. */
export function planDevice(tx: IpTransaction, self: RouteNode, s: RoutingSettings, have: LinkState | undefined): void {
  const want = vxlanLink(self, s);
  const ok = have !== undefined && vxlanDeviceOk(have.link, want);
  if (have && !ok) tx.delLink(want.name);
  if (!ok) tx.addLink(want);
  const held = new Set(ok ? have.addresses.map((a) => a.cidr) : []);
  for (const a of vtepAddresses(self, s)) if (!held.has(a.cidr)) tx.replaceAddress(a);
  if (!ok || !have.link.up) tx.setLink({ name: want.name, up: true });
}

/** VxlanPeer is what one remote node needs on this node. */
export interface VxlanPeer {
  node: string;
  /** vteps are the peer's VTEP addresses, IPv4 first: one permanent neighbour each. */
  vteps: string[];
  mac: string;
  ip: string;
  routes: Route[];
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
      return via ? [podRoute(dst, via, dev)] : [];
    });
    out.push({ node: n.name, vteps: [...vtep.values()], mac: n.vtepMac, ip: n.ip, routes });
  }
  return out;
}

/** VxlanEntries are the neighbour and FDB changes of a sync: deletions run before additions. */
export interface VxlanEntries {
  neighDel: Neighbour[];
  fdbDel: FdbEntry[];
  neigh: Neighbour[];
  fdb: FdbEntry[];
}

/** vxlanEntries diffs the wanted neighbours and FDB entries against the kernel's. */
export function vxlanEntries(peers: VxlanPeer[], neighs: Neighbour[], fdbs: FdbEntry[], s: RoutingSettings): VxlanEntries {
  const dev = vxlanDev(s);
  const out: VxlanEntries = { neighDel: [], fdbDel: [], neigh: [], fdb: [] };
  for (const p of peers) {
    for (const vtep of p.vteps) {
      const n = neighs.find((x) => x.dst === vtep);
      if (!n || n.lladdr !== p.mac || !n.permanent) out.neigh.push({ dst: vtep, lladdr: p.mac, dev });
    }
    if (!fdbs.some((f) => f.mac === p.mac && f.dst === p.ip)) out.fdb.push({ mac: p.mac, dev, dst: p.ip });
  }
  out.neighDel = neighs.filter((n) => n.permanent && !peers.some((p) => p.vteps.includes(n.dst)));
  out.fdbDel = fdbs.filter((f) => f.dst !== undefined && !peers.some((p) => p.mac === f.mac && p.ip === f.dst));
  return out;
}
