/**
 * Routed mode, Calico's data path. No bridge: the host end of the veth has no address and a fixed
 * MAC; the node routes each pod address to it (`<podIP> dev <hostVeth> scope link`). The pod holds
 * its address as a /32 (/128) and reaches everything through a link-local gateway: 169.254.1.1 for
 * IPv4, which the host end answers by proxy ARP, and for IPv6 the host end's own link-local
 * address, derived from that fixed MAC.
 */
import { NodeTransaction } from "../dataplane/index.js";
import { IpTransaction } from "../iproute/index.js";
import type { Attachment, DataPath } from "./datapath.js";
import { HOST_VETH } from "./names.js";
import { CniCode, CniError, type IPConfig } from "./types.js";

/** HOST_MAC is the host end's MAC (Calico's ee:ee:ee:ee:ee:ee), so the IPv6 gateway is stable. */
export const HOST_MAC = "ee:ee:ee:ee:ee:ee";
/** GATEWAY_V4 is the pods' IPv4 gateway, answered by proxy ARP. */
export const GATEWAY_V4 = "169.254.1.1";
/** GATEWAY_V6 is the host end's link-local address (EUI-64 of HOST_MAC). */
export const GATEWAY_V6 = "fe80::ecee:eeff:feee:eeee";

const bare = (a: string) => a.split("/")[0] as string;
const v6 = (a: string) => a.includes(":");
const host = (a: string) => `${bare(a)}/${v6(a) ? 128 : 32}`;

/** routedIps are the pod's addresses as host routes (/32, /128) with the link-local gateways. */
export function routedIps(ips: IPConfig[]): IPConfig[] {
  return ips.map((i) => ({ address: host(i.address), gateway: v6(i.address) ? GATEWAY_V6 : GATEWAY_V4 }));
}

/** routedHostPlan creates the veth and routes the pod's addresses to it, on the node. */
export function routedHostPlan(a: Attachment): IpTransaction {
  const tx = new IpTransaction()
    .addLink({
      name: a.hostVeth,
      ...(a.hostAlias ? { alias: a.hostAlias } : {}),
      kind: "veth",
      mtu: a.mtu,
      address: HOST_MAC,
      peer: { name: a.podIf, mtu: a.mtu, address: a.podMac, netns: a.netns },
    })
    .setLink({ name: a.hostVeth, up: true });
  for (const i of a.ips) tx.replaceRoute({ dst: host(i.address), dev: a.hostVeth, scope: "link" });
  return tx;
}

/** routedPodPlan addresses the pod end and points its default routes at the link-local gateways. */
export function routedPodPlan(a: Attachment): IpTransaction {
  const tx = new IpTransaction().setLink({ name: "lo", up: true });
  for (const i of a.ips) tx.addAddress({ dev: a.podIf, cidr: host(i.address), nodad: v6(i.address) });
  tx.setLink({ name: a.podIf, up: true });
  if (a.ips.some((i) => !v6(i.address)))
    tx.addRoute({ dst: GATEWAY_V4, dev: a.podIf, scope: "link" }).addRoute({ dst: "default", via: GATEWAY_V4, dev: a.podIf });
  if (a.ips.some((i) => v6(i.address))) tx.addRoute({ dst: "default", via: GATEWAY_V6, dev: a.podIf });
  return tx;
}

/** routedSysctls make the host end answer ARP for the gateway at once and forward (Calico's settings). */
export function routedSysctls(hostVeth: string, ips: IPConfig[]): NodeTransaction {
  const tx = new NodeTransaction()
    .sysctl(`net.ipv4.conf.${hostVeth}.proxy_arp`, 1)
    .sysctl(`net.ipv4.neigh.${hostVeth}.proxy_delay`, 0)
    .sysctl(`net.ipv4.conf.${hostVeth}.forwarding`, 1);
  if (ips.some((i) => v6(i.address))) tx.sysctl(`net.ipv6.conf.${hostVeth}.forwarding`, 1);
  return tx;
}

/** ROUTED is the routed data path. */
export const ROUTED: DataPath = {
  mode: "routed",
  hostPlan: routedHostPlan,
  hostSysctls: (a) => routedSysctls(a.hostVeth, a.ips),
  podPlan: routedPodPlan,
  result: (a) => ({
    interfaces: [
      { name: a.hostVeth, mac: HOST_MAC },
      { name: a.podIf, mac: a.podMac, sandbox: a.netns },
    ],
    ips: routedIps(a.ips).map((i) => ({ ...i, interface: 1 })),
    routes: a.ips.map((i) => ({ dst: v6(i.address) ? "::/0" : "0.0.0.0/0" })),
  }),
  async checkHost(ip, hostVeth, ips) {
    if (!(await ip.link(hostVeth))) throw new CniError(CniCode.Internal, `host interface "${hostVeth}" is missing`);
    for (const fam of [4, 6] as const) {
      const want = ips.filter((i) => v6(i.address) === (fam === 6)).map((i) => host(i.address));
      if (want.length === 0) continue;
      const routes = await ip.routes({ family: fam });
      for (const dst of want)
        if (!routes.some((r) => r.dst === dst && r.dev === hostVeth))
          throw new CniError(CniCode.Internal, `route to ${bare(dst)} does not go to "${hostVeth}"`);
    }
  },
  async sweepable(ip) {
    // Routed host ends are on no bridge; bridge ports belong to a bridge network's GC.
    return (await ip.links()).filter((l) => !l.master && HOST_VETH.test(l.name)).map((l) => l.name);
  },
};
