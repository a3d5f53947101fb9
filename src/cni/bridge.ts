/**
 * Bridge mode, the reference bridge plugin's data path: a bridge holding the gateway, a veth per
 * pod with the host end on the bridge, the pod end addressed and routed inside the pod's namespace.
 */
import { IpRouteError, IpTransaction } from "../iproute/index.js";
import type { Attachment, DataPath } from "./datapath.js";
import { checkLinkName, HOST_VETH, randomMac } from "./names.js";
import { CniCode, CniError, type IPConfig, type NetConf } from "./types.js";

/** BridgeOptions are the bridge plugin's keys a bridge data path reads. */
export interface BridgeOptions {
  bridge: string;
  isGateway: boolean;
  hairpin: boolean;
}

/** gatewayCidrs are the bridge addresses: each gateway with its subnet's prefix. */
export function gatewayCidrs(ips: IPConfig[]): string[] {
  return ips.filter((i) => i.gateway).map((i) => `${i.gateway}/${i.address.split("/")[1]}`);
}

/**
 * bridgeHostPlan is the node side. It names the bridge first, so the batch fails at once, changing
 * nothing, when the bridge is missing. The gateway addresses and the bridge's up state are
 * (re)applied every time: both are idempotent, and that spares ADD a query of the bridge first.
 * One netlink request creates the pair with the host end already on the bridge and up (the
 * kernel applies master and flags to a new link; a veth peer cannot be brought up at creation,
 * its other end is not linked yet). It ends by printing the bridge, whose MAC the result reports.
 */
export function bridgeHostPlan(o: BridgeOptions, a: Attachment): IpTransaction {
  const tx = new IpTransaction();
  if (o.isGateway) for (const gw of gatewayCidrs(a.ips)) tx.replaceAddress({ dev: o.bridge, cidr: gw, nodad: gw.includes(":") });
  tx.setLink({ name: o.bridge, up: true }).addLink({
    name: a.hostVeth,
    ...(a.hostAlias ? { alias: a.hostAlias } : {}),
    kind: "veth",
    mtu: a.mtu,
    address: a.hostMac,
    master: o.bridge,
    up: true,
    peer: { name: a.podIf, mtu: a.mtu, address: a.podMac, netns: a.netns },
  });
  if (o.hairpin) tx.setLink({ name: a.hostVeth, hairpin: true });
  return tx.showLink(o.bridge);
}

/** bridgePodPlan addresses the pod end, brings it up and adds the routes via each family's gateway. */
export function bridgePodPlan(a: Attachment): IpTransaction {
  const tx = new IpTransaction().setLink({ name: "lo", up: true });
  for (const ip of a.ips) tx.addAddress({ dev: a.podIf, cidr: ip.address, nodad: ip.address.includes(":") });
  tx.setLink({ name: a.podIf, up: true });
  for (const r of a.routes) {
    const v6 = r.dst.includes(":");
    const gw = r.gw ?? a.ips.find((i) => i.address.includes(":") === v6)?.gateway;
    if (gw) tx.addRoute({ dst: r.dst, via: gw, dev: a.podIf });
  }
  return tx;
}

/** bridgeOptions reads and checks the bridge plugin's keys. */
export function bridgeOptions(conf: NetConf): BridgeOptions {
  const bridge = conf.bridge ?? "cni0";
  checkLinkName("bridge name", bridge);
  return { bridge, isGateway: conf.isGateway ?? false, hairpin: conf.hairpinMode ?? false };
}

/** bridgeDataPath serves a config's bridge. */
export function bridgeDataPath(conf: NetConf): DataPath {
  const o = bridgeOptions(conf);
  // isDefaultGateway adds a default route via the bridge's gateway in the pod.
  const withDefault = (a: Attachment): Attachment => (conf.isDefaultGateway ? { ...a, routes: [...a.routes, { dst: "0.0.0.0/0" }] } : a);
  return {
    mode: "bridge",
    hostPlan: (a) => bridgeHostPlan(o, a),
    async repair(host, failure) {
      // The batch names the bridge first: the node's first pod finds none (and changed nothing). Create it
      // (another ADD may be doing so too) and run the batch again.
      if (failure.failedOp !== 0 || !failure.stderr.includes(`Cannot find device "${o.bridge}"`)) return false;
      await host.apply(new IpTransaction().addLink({ name: o.bridge, kind: "bridge", address: randomMac() })).catch((c: unknown) => {
        if (!(c instanceof IpRouteError && /File exists/.test(c.stderr)))
          throw new CniError(CniCode.Internal, `failed to create bridge "${o.bridge}": ${(c as Error).message}`);
      });
      return true;
    },
    podPlan: (a) => bridgePodPlan(withDefault(a)),
    result: (a, shown) => ({
      interfaces: [
        { name: o.bridge, mac: shown.find((l) => l.name === o.bridge)?.address ?? "" },
        { name: a.hostVeth, mac: a.hostMac },
        { name: a.podIf, mac: a.podMac, sandbox: a.netns },
      ],
      ips: a.ips.map((i) => ({ ...i, interface: 2 })),
      routes: withDefault(a).routes,
    }),
    async checkHost(host, hostVeth) {
      const l = await host.link(hostVeth);
      if (l?.link.master !== o.bridge)
        throw new CniError(CniCode.Internal, `host interface "${hostVeth}" is ${l ? `not on bridge "${o.bridge}"` : "missing"}`);
    },
    async sweepable(host) {
      return (await host.links({ master: o.bridge })).map((l) => l.name).filter((n) => HOST_VETH.test(n));
    },
  };
}
