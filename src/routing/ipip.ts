/**
 * Calico's IPIP mode, rendered only: this kernel has no `ipip` module, so podnet prints what it
 * would program — `tunl0` up with the node's tunnel address, and each remote block routed
 * `via <remote node IP> dev tunl0 onlink` (Calico installs these through BIRD as `proto bird`).
 */
import { IpTransaction } from "../iproute/index.js";
import { BLACKHOLE_METRIC } from "./routes.js";
import { vtepAddress } from "./vxlan.js";
import { familyOfCidr, podMtu, type RouteNode, type RoutingSettings } from "./types.js";

/** IPIP_DEV is the kernel's fallback IPIP device, which Calico uses. */
export const IPIP_DEV = "tunl0";

/** IPIP_UNSUPPORTED explains why the lab refuses to run ipip here. */
export const IPIP_UNSUPPORTED =
  "this kernel has no IPIP support (no ipip module, no tunl0): ipip is render-only, use `podnet render routing --mode ipip`";

/** ipipTransaction is one node's tunl0 setup and routes. */
export function ipipTransaction(self: RouteNode, nodes: RouteNode[], s: RoutingSettings): IpTransaction {
  const tx = new IpTransaction().setLink({ name: IPIP_DEV, up: true, mtu: podMtu(s) });
  const addr = vtepAddress(self);
  if (addr) tx.replaceAddress({ dev: IPIP_DEV, cidr: `${addr}/32` });
  for (const n of nodes) {
    if (n.name === self.name || familyOfCidr(n.ip) !== 4) continue;
    for (const b of n.blocks.filter((c) => familyOfCidr(c) === 4))
      tx.replaceRoute({ dst: b, via: n.ip, dev: IPIP_DEV, onlink: true, proto: "bird" });
  }
  for (const b of self.blocks.filter((c) => familyOfCidr(c) === 4))
    tx.replaceRoute({ dst: b, blackhole: true, proto: "bird", metric: BLACKHOLE_METRIC[4] });
  return tx;
}
