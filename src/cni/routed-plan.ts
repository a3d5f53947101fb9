/**
 * Routed mode (Calico's data path) as `ip -batch` text. No bridge: the host end of the veth has no
 * address and a fixed MAC; the node routes each pod address to it (`<podIP> dev <hostVeth> scope
 * link`). The pod holds its address as a /32 (/128) and reaches everything through a link-local
 * gateway: 169.254.1.1 for IPv4, which the host end answers by proxy ARP, and for IPv6 the host
 * end's own link-local address, derived from that fixed MAC.
 */
import type { IPConfig } from "./types.js";

/** HOST_MAC is the host end's MAC (Calico's ee:ee:ee:ee:ee:ee), so the IPv6 gateway is stable. */
export const HOST_MAC = "ee:ee:ee:ee:ee:ee";
/** GATEWAY_V4 is the pods' IPv4 gateway, answered by proxy ARP. */
export const GATEWAY_V4 = "169.254.1.1";
/** GATEWAY_V6 is the host end's link-local address (EUI-64 of HOST_MAC). */
export const GATEWAY_V6 = "fe80::ecee:eeff:feee:eeee";

/** RoutedPlan is one routed attachment. */
export interface RoutedPlan {
  hostVeth: string;
  podIf: string;
  podMac: string;
  netnsPath: string;
  mtu: number;
  ips: IPConfig[];
}

const bare = (a: string) => a.split("/")[0] as string;
const v6 = (a: string) => a.includes(":");

/** routedIps are the pod's addresses as host routes (/32, /128) with the link-local gateways. */
export function routedIps(ips: IPConfig[]): IPConfig[] {
  return ips.map((i) => ({ address: `${bare(i.address)}/${v6(i.address) ? 128 : 32}`, gateway: v6(i.address) ? GATEWAY_V6 : GATEWAY_V4 }));
}

/** renderRoutedHost creates the veth and routes the pod's addresses to it, on the node. */
export function renderRoutedHost(p: RoutedPlan): string {
  const lines = [
    `link add ${p.hostVeth} mtu ${p.mtu} address ${HOST_MAC} type veth peer name ${p.podIf} mtu ${p.mtu} address ${p.podMac} netns ${p.netnsPath}`,
    `link set ${p.hostVeth} up`,
  ];
  for (const i of p.ips) lines.push(`route replace ${bare(i.address)}/${v6(i.address) ? 128 : 32} dev ${p.hostVeth} scope link`);
  return `${lines.join("\n")}\n`;
}

/** renderRoutedPod addresses the pod end and points its default routes at the link-local gateways. */
export function renderRoutedPod(p: RoutedPlan): string {
  const lines = ["link set lo up"];
  for (const i of p.ips) lines.push(`address add ${bare(i.address)}/${v6(i.address) ? 128 : 32} dev ${p.podIf}${v6(i.address) ? " nodad" : ""}`);
  lines.push(`link set ${p.podIf} up`);
  if (p.ips.some((i) => !v6(i.address))) lines.push(`route add ${GATEWAY_V4} dev ${p.podIf} scope link`, `route add default via ${GATEWAY_V4} dev ${p.podIf}`);
  if (p.ips.some((i) => v6(i.address))) lines.push(`route add default via ${GATEWAY_V6} dev ${p.podIf}`);
  return `${lines.join("\n")}\n`;
}

/** routedSysctls make the host end answer ARP for the gateway at once and forward (Calico's settings). */
export function routedSysctls(hostVeth: string, ips: IPConfig[]): string[] {
  const out = [`net.ipv4.conf.${hostVeth}.proxy_arp=1`, `net.ipv4.neigh.${hostVeth}.proxy_delay=0`, `net.ipv4.conf.${hostVeth}.forwarding=1`];
  if (ips.some((i) => v6(i.address))) out.push(`net.ipv6.conf.${hostVeth}.forwarding=1`);
  return out;
}
