/**
 * The bridge data path as plain data rendered to `ip -batch` and `iptables-restore` text:
 * a bridge holding the gateway, a veth per pod with the host end on the bridge, the pod end
 * addressed and routed inside the pod's namespace, and optional per-pod masquerade.
 */
import { type Cidr, formatCIDR, parseCIDR } from "../util/ip.js";
import type { IPConfig, Route } from "./types.js";

/** AttachPlan is everything ADD does for one attachment. */
export interface AttachPlan {
  bridge: string;
  bridgeMac: string;
  hostVeth: string;
  hostMac: string;
  podIf: string;
  podMac: string;
  netnsPath: string;
  mtu: number;
  hairpin: boolean;
  isGateway: boolean;
  ips: IPConfig[];
  routes: Route[];
}

/** gatewayCidrs are the bridge addresses: each gateway with its subnet's prefix. */
export function gatewayCidrs(ips: IPConfig[]): string[] {
  return ips.filter((i) => i.gateway).map((i) => `${i.gateway}/${i.address.split("/")[1]}`);
}

/**
 * renderHostBatch is the `ip -batch` input for the host side. Its first line names the bridge, so
 * the batch fails at once, changing nothing, when the bridge is missing. The gateway addresses
 * and the bridge's up state are (re)applied every time: both are idempotent, and that spares ADD
 * a query of the bridge first. One netlink request creates the pair with the host end already on
 * the bridge and up (the kernel applies master and flags to a new link; a veth peer cannot be
 * brought up at creation, its other end is not linked yet).
 */
export function renderHostBatch(p: AttachPlan): string {
  const lines: string[] = [];
  if (p.isGateway)
    for (const gw of gatewayCidrs(p.ips)) lines.push(`address replace ${gw} dev ${p.bridge}${gw.includes(":") ? " nodad" : ""}`);
  lines.push(
    `link set ${p.bridge} up`,
    `link add ${p.hostVeth} mtu ${p.mtu} address ${p.hostMac} master ${p.bridge} up type veth peer name ${p.podIf} mtu ${p.mtu} address ${p.podMac} netns ${p.netnsPath}`,
  );
  if (p.hairpin) lines.push(`link set ${p.hostVeth} type bridge_slave hairpin on`);
  return `${lines.join("\n")}\n`;
}

/** renderPodBatch is the `ip -batch` input run inside the pod's namespace. */
export function renderPodBatch(p: AttachPlan): string {
  const lines = ["link set lo up"];
  for (const ip of p.ips)
    lines.push(`address add ${ip.address} dev ${p.podIf}${ip.address.includes(":") ? " nodad" : ""}`);
  lines.push(`link set ${p.podIf} up`);
  for (const r of p.routes) {
    const family = r.dst.includes(":") ? 6 : 4;
    const gw = r.gw ?? p.ips.find((i) => i.address.includes(":") === (family === 6))?.gateway;
    if (!gw) continue;
    lines.push(`route add ${r.dst} via ${gw} dev ${p.podIf}`);
  }
  return `${lines.join("\n")}\n`;
}

/** MasqRule describes the masquerade of one pod address. */
export interface MasqRule {
  chain: string;
  podIP: string;
  subnet: string;
  comment: string;
}

/** masqRules derives the masquerade rules of an attachment, split by family. */
export function masqRules(chain: string, ips: IPConfig[], comment: string): { 4: MasqRule[]; 6: MasqRule[] } {
  const out: { 4: MasqRule[]; 6: MasqRule[] } = { 4: [], 6: [] };
  for (const ip of ips) {
    const c = parseCIDR(ip.address) as Cidr;
    out[c.family].push({ chain, podIP: ip.address.split("/")[0]!, subnet: formatCIDR(c), comment });
  }
  return out;
}

/** renderMasq is `iptables-restore --noflush` input that adds (or with remove, deletes) masquerade rules. */
export function renderMasq(rules: MasqRule[], family: 4 | 6, remove = false): string {
  if (rules.length === 0) return "";
  const chain = rules[0]!.chain;
  const multicast = family === 4 ? "224.0.0.0/4" : "ff00::/8";
  const host = family === 4 ? 32 : 128;
  const jump = (r: MasqRule) =>
    `POSTROUTING -s ${r.podIP}/${host} -m comment --comment "${r.comment}" -j ${chain}`;
  const lines = ["*nat"];
  if (remove) lines.push(...rules.map((r) => `-D ${jump(r)}`), `-F ${chain}`, `-X ${chain}`);
  else {
    lines.push(`:${chain} - [0:0]`);
    for (const r of rules)
      lines.push(`-A ${chain} -d ${r.subnet} -m comment --comment "${r.comment}" -j ACCEPT`);
    lines.push(`-A ${chain} ! -d ${multicast} -m comment --comment "${rules[0]!.comment}" -j MASQUERADE`);
    lines.push(...rules.map((r) => `-A ${jump(r)}`));
  }
  lines.push("COMMIT");
  return `${lines.join("\n")}\n`;
}
