/**
 * Calico's IPIP mode, rendered only: this kernel has no `ipip` module, so podnet prints what it
 * would program — `tunl0` up with the node's tunnel address, and each remote block routed
 * `via <remote node IP> dev tunl0 onlink` (Calico installs these through BIRD as `proto bird`).
 */
import { vtepAddress } from "./vxlan.js";
import { familyOfCidr, type RouteNode, type RoutingSettings } from "./types.js";

/** IPIP_DEV is the kernel's fallback IPIP device, which Calico uses. */
export const IPIP_DEV = "tunl0";

/** IPIP_UNSUPPORTED explains why the lab refuses to run ipip here. */
export const IPIP_UNSUPPORTED =
  "this kernel has no IPIP support (no ipip module, no tunl0): ipip is render-only, use `podnet render routing --mode ipip`";

/** ipipBatch renders one node's tunl0 setup and routes as `ip -batch` text. */
export function ipipBatch(self: RouteNode, nodes: RouteNode[], s: RoutingSettings): string {
  const addr = vtepAddress(self);
  const lines = [`link set ${IPIP_DEV} up mtu ${s.underlayMtu - 20}`];
  if (addr) lines.push(`address replace ${addr}/32 dev ${IPIP_DEV}`);
  for (const n of nodes) {
    if (n.name === self.name || familyOfCidr(n.ip) !== 4) continue;
    for (const b of n.blocks.filter((c) => familyOfCidr(c) === 4))
      lines.push(`route replace ${b} via ${n.ip} dev ${IPIP_DEV} onlink proto bird`);
  }
  for (const b of self.blocks.filter((c) => familyOfCidr(c) === 4)) lines.push(`route replace blackhole ${b} proto bird metric 32`);
  return `${lines.join("\n")}\n`;
}
