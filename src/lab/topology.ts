/**
 * The lab's wiring as data: an underlay namespace that bridges the nodes (172.18.0.0/24) and routes
 * to an external host on TEST-NET-2 (198.51.100.0/24). A dual-stack lab adds IPv6 alongside:
 * fd00:172:18::/64 for the nodes, and the IPv6 documentation prefix 2001:db8:100::/64 (the IPv6
 * TEST-NET) for the external host. Each namespace gets one iproute transaction; IPv6 addresses skip
 * duplicate address detection, so they work at once.
 */
import { IpTransaction } from "../iproute/index.js";
import { derivedMac } from "../util/mac.js";

/** UNDERLAY is the nodes' network; the underlay namespace is its gateway. */
export const UNDERLAY = {
  cidr: "172.18.0.0/24",
  gateway: "172.18.0.1",
  prefix: 24,
  bridge: "br0",
  /** mac is fixed: a bridge without one takes its lowest port MAC, which changes when a node's port goes, and the nodes' ARP entries for the gateway go stale. */
  mac: "02:00:ac:12:00:01",
  mtu: 1500,
};
/** EXTERNAL is the outside world: a TEST-NET-2 network behind the underlay router. */
export const EXTERNAL = { gateway: "198.51.100.1", host: "198.51.100.10", prefix: 24 };

/** UPSTREAM_DNS is the external host's resolver, a second address of its eth0 (the first serves the echo workload, UDP 53 too). */
export const UPSTREAM_DNS = { 4: "198.51.100.53", 6: "2001:db8:100::53" } as const;

/** UNDERLAY6 is the nodes' IPv6 network in a dual-stack lab. */
export const UNDERLAY6 = { gateway: "fd00:172:18::1", prefix: 64 };
/** EXTERNAL6 is the external host's IPv6 network (documentation prefix) in a dual-stack lab. */
export const EXTERNAL6 = { gateway: "2001:db8:100::1", host: "2001:db8:100::10", prefix: 64 };

/** IpFamilyMode is the lab's address families, as kind names them. */
export type IpFamilyMode = "ipv4" | "dual";

/** LabNode is one node of a lab's topology. */
export interface LabNode {
  name: string;
  index: number;
  ip: string;
  /** ip6 is the node's IPv6 underlay address (dual-stack labs). */
  ip6?: string;
}

/** MAX_NODES keeps node addresses below the load-balancer pool at .192. */
export const MAX_NODES = 170;

/** labNode names and addresses node number i (1-based): node-i at 172.18.0.(10+i), and fd00:172:18::(10+i) when dual-stack. */
export function labNode(i: number, family: IpFamilyMode = "ipv4"): LabNode {
  if (!Number.isInteger(i) || i < 1 || i > MAX_NODES) throw new Error(`invalid node number ${i}: use 1-${MAX_NODES}`);
  return { name: `node-${i}`, index: i, ip: `172.18.0.${10 + i}`, ...(family === "dual" ? { ip6: `fd00:172:18::${10 + i}` } : {}) };
}

/** labNodes names and addresses nodes 1..n. */
export function labNodes(n: number, family: IpFamilyMode = "ipv4"): LabNode[] {
  if (!Number.isInteger(n) || n < 1 || n > MAX_NODES) throw new Error(`invalid node count ${n}: use 1-${MAX_NODES}`);
  return Array.from({ length: n }, (_, i) => labNode(i + 1, family));
}

const v6addr = (ip: string, prefix: number, dev: string) => ({ dev, cidr: `${ip}/${prefix}`, nodad: true });

/** underlayTransaction creates the bridge and the uplink to the external host, inside the underlay namespace. */
export function underlayTransaction(externalNs: string, family: IpFamilyMode = "ipv4"): IpTransaction {
  const dual = family === "dual";
  const tx = new IpTransaction()
    .setLink({ name: "lo", up: true })
    .addLink({ name: UNDERLAY.bridge, kind: "bridge", address: UNDERLAY.mac, mtu: UNDERLAY.mtu })
    .addAddress({ dev: UNDERLAY.bridge, cidr: `${UNDERLAY.gateway}/${UNDERLAY.prefix}` });
  if (dual) tx.addAddress(v6addr(UNDERLAY6.gateway, UNDERLAY6.prefix, UNDERLAY.bridge));
  tx.setLink({ name: UNDERLAY.bridge, up: true })
    .addLink({ name: "ext0", kind: "veth", peer: { name: "eth0", netns: externalNs } })
    .addAddress({ dev: "ext0", cidr: `${EXTERNAL.gateway}/${EXTERNAL.prefix}` });
  if (dual) tx.addAddress(v6addr(EXTERNAL6.gateway, EXTERNAL6.prefix, "ext0"));
  return tx.setLink({ name: "ext0", up: true });
}

/** hostTransaction addresses a host's eth0 and routes it through a gateway (and the IPv6 ones, if any), inside the host's namespace. */
function hostTransaction(ip: string, prefix: number, gateway: string, v6?: { ip: string; prefix: number; gateway: string }): IpTransaction {
  const tx = new IpTransaction().setLink({ name: "lo", up: true }).addAddress({ dev: "eth0", cidr: `${ip}/${prefix}` });
  if (v6) tx.addAddress(v6addr(v6.ip, v6.prefix, "eth0"));
  tx.setLink({ name: "eth0", up: true }).addRoute({ dst: "default", via: gateway });
  if (v6) tx.addRoute({ dst: "default", via: v6.gateway });
  return tx;
}

/** externalTransaction addresses the external host, inside its namespace. */
export function externalTransaction(family: IpFamilyMode = "ipv4"): IpTransaction {
  const v6 = family === "dual" ? { ip: EXTERNAL6.host, prefix: EXTERNAL6.prefix, gateway: EXTERNAL6.gateway } : undefined;
  const tx = hostTransaction(EXTERNAL.host, EXTERNAL.prefix, EXTERNAL.gateway, v6).addAddress({
    dev: "eth0",
    cidr: `${UPSTREAM_DNS[4]}/${EXTERNAL.prefix}`,
  });
  // The resolver's IPv6 address is deprecated (preferred_lft 0): the kernel would otherwise pick it as
  // the source of the external host's own connections, as IPv6 source selection may.
  return v6 ? tx.addAddress({ ...v6addr(UPSTREAM_DNS[6], EXTERNAL6.prefix, "eth0"), preferredLft: 0 }) : tx;
}

/** nodePort names a node's port on the underlay bridge. */
export function nodePort(node: LabNode): string {
  return `n${node.index}`;
}

/**
 * nodeMac is a node's uplink MAC, derived from its namespace's name (lab and node): a node that
 * crashes and comes back keeps it, so the underlay router and the other nodes, whose neighbour
 * entries still name it, reach the new uplink at once instead of after those entries go stale.
 */
export function nodeMac(nodeNs: string): string {
  return derivedMac(`podnet-node/${nodeNs}`);
}

/** nodeUplinkTransaction plugs a node into the underlay bridge, inside the underlay namespace. */
export function nodeUplinkTransaction(node: LabNode, nodeNs: string): IpTransaction {
  return uplinkTransaction(nodePort(node), nodeNs, nodeMac(nodeNs));
}

/** uplinkTransaction plugs a host's eth0 (with a fixed MAC) into the underlay bridge as port, inside the underlay namespace. */
export function uplinkTransaction(port: string, hostNs: string, mac: string): IpTransaction {
  return new IpTransaction()
    .addLink({
      name: port,
      kind: "veth",
      mtu: UNDERLAY.mtu,
      peer: { name: "eth0", mtu: UNDERLAY.mtu, address: mac, netns: hostNs },
    })
    .setLink({ name: port, master: UNDERLAY.bridge })
    .setLink({ name: port, up: true });
}

/** underlayHostTransaction addresses a host on the underlay (IPv4) and routes it through the underlay router, inside its namespace. */
export function underlayHostTransaction(ip: string): IpTransaction {
  return hostTransaction(ip, UNDERLAY.prefix, UNDERLAY.gateway);
}

/** nodeTransaction addresses a node and routes it through the underlay, inside the node's namespace. */
export function nodeTransaction(node: LabNode): IpTransaction {
  const v6 = node.ip6 ? { ip: node.ip6, prefix: UNDERLAY6.prefix, gateway: UNDERLAY6.gateway } : undefined;
  return hostTransaction(node.ip, UNDERLAY.prefix, UNDERLAY.gateway, v6);
}
