/**
 * The QoS agent's plan, a pure function of what the node's pods ask for and what the kernel has.
 * Per pod, on the host end of its veth (found by its alias, "namespace/name"):
 * - ingress (to the pod): a tbf root on the host end, which sends to the pod;
 * - egress (from the pod): the host end's clsact ingress hook redirects to an ifb, whose tbf root shapes it;
 * - mirroring: both hooks copy each packet to the mirror interface first (`mirred mirror`, then the redirect).
 * The mirror interface is one end of a veth pair; its other end drops everything it receives, so
 * the copies go nowhere but to whoever listens (tcpdump, an IDS). Filters are replaced only when
 * their actions differ, tbf roots are changed in place (a running connection keeps going).
 */
import { createHash } from "node:crypto";
import { NodeTransaction } from "../dataplane/index.js";
import type { Link } from "../iproute/index.js";
import { type DevTc, emptyDev, sameActions, sameTbf, type TcAction, TC_HOOKS, type TcHook, type TcState, type Tbf } from "../tc/index.js";

/** PodQos is what the agent enforces for one pod (after bad annotations fell back to the last good values). */
export interface PodQos {
  /** key is "namespace/name", the alias of the pod's host veth. */
  key: string;
  ingress?: number;
  egress?: number;
  mirror: boolean;
}

/** QosObserved is the kernel state the plan compares against. */
export interface QosObserved {
  links: Link[];
  tc: TcState;
}

/** QosPlan is a plan's transaction, with the devices of the pods whose host veth is there (a pod without one is left for a later sync). */
export interface QosPlan {
  tx: NodeTransaction;
  /** again says that the transaction makes the mirror interface, which a second plan brings up. */
  again: boolean;
  devices: Map<string, { dev: string; ifb?: string }>;
}

const short = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 11);
/** ifbName is the ifb that shapes what a pod sends through host device dev. */
export const ifbName = (dev: string) => `pb${short(dev)}`;
/** mirrorSink is the veth end that takes (and drops) what is mirrored to iface. */
export const mirrorSink = (iface: string) => `pm${short(iface)}`;
/** IFB_NAME matches the ifbs podnet makes. */
export const IFB_NAME = /^pb[0-9a-f]{11}$/;

/** tbfFor is the shaper for a rate: bursts of 1 ms of traffic (at least 64 KiB, one GSO packet), 25 ms of queue. */
export function tbfFor(rate: number): Tbf {
  return { rate, burst: Math.max(65_536, Math.round(rate / 8 / 1000)), latencyMs: 25 };
}

/** DevWant is a device's desired tc state. */
interface DevWant {
  root?: Tbf;
  filters: Partial<Record<TcHook, TcAction[]>>;
}

function planDev(tx: NodeTransaction, dev: string, want: DevWant, have: DevTc): void {
  if (want.root && !sameTbf(have.root, want.root)) tx.tc.replaceRoot(dev, want.root);
  if (!want.root && have.root !== undefined && have.root !== "other") tx.tc.delRoot(dev);
  const needClsact = TC_HOOKS.some((h) => want.filters[h]?.length);
  if (!needClsact) {
    if (have.clsact) tx.tc.delClsact(dev);
    return;
  }
  if (!have.clsact) tx.tc.addClsact(dev);
  const had = have.clsact ? have.filters : {};
  for (const h of TC_HOOKS) {
    const w = want.filters[h];
    if (w?.length) {
      if (!sameActions(w, had[h])) tx.tc.setFilter(dev, h, w, had[h] !== undefined);
    } else if (had[h] !== undefined) tx.tc.delFilter(dev, h);
  }
}

/**
 * planMirror makes the mirror interface: a veth pair made down, made silent (no IPv6, no ARP
 * replies, no forwarding from the sink end: the copies, addressed to other hosts' MACs, die on
 * arrival there), and brought up by the next pass, once those settings hold.
 */
function planMirror(tx: NodeTransaction, iface: string | undefined, links: Map<string, Link>): boolean {
  const sinks = [...links.values()].filter((l) => /^pm[0-9a-f]{11}$/.test(l.name));
  for (const s of sinks) if (!iface || s.name !== mirrorSink(iface)) tx.ipAfter.delLink(s.name);
  if (!iface) return false;
  const sink = mirrorSink(iface);
  if (!links.has(iface) || !links.has(sink)) {
    if (links.has(iface)) tx.ip.delLink(iface);
    tx.ip.addLink({ name: iface, kind: "veth", mtu: 65_535, peer: { name: sink, mtu: 65_535 } });
    for (const d of [iface, sink]) tx.sysctl(`net.ipv6.conf.${d}.disable_ipv6`, 1);
    tx.sysctl(`net.ipv4.conf.${sink}.arp_ignore`, 8).sysctl(`net.ipv4.conf.${sink}.forwarding`, 0);
    return true;
  }
  for (const d of [iface, sink]) if (!links.get(d)?.up) tx.ip.setLink({ name: d, up: true });
  return false;
}

/** planQos computes the changes that give every pod its limits and mirroring, and remove what no pod asks for. */
export function planQos(pods: PodQos[], mirrorIface: string | undefined, observed: QosObserved): QosPlan {
  const tx = new NodeTransaction();
  const links = new Map(observed.links.map((l) => [l.name, l]));
  const byAlias = new Map(observed.links.filter((l) => l.alias && l.kind !== "ifb").map((l) => [l.alias as string, l.name]));
  const have = (dev: string) => observed.tc.get(dev) ?? emptyDev();
  const again = planMirror(tx, mirrorIface, links);
  const devices = new Map<string, { dev: string; ifb?: string }>();
  const ifbs = new Set<string>();
  for (const p of pods) {
    const dev = byAlias.get(p.key);
    if (!dev) continue;
    const mirror: TcAction[] = p.mirror && mirrorIface ? [{ kind: "mirred", mode: "mirror", to: mirrorIface }] : [];
    const ifb = p.egress ? ifbName(dev) : undefined;
    devices.set(p.key, { dev, ...(ifb ? { ifb } : {}) });
    if (ifb && p.egress) {
      ifbs.add(ifb);
      if (!links.has(ifb)) tx.ip.addLink({ name: ifb, kind: "ifb", up: true });
      planDev(tx, ifb, { root: tbfFor(p.egress), filters: {} }, links.has(ifb) ? have(ifb) : emptyDev());
    }
    const redirect: TcAction[] = ifb ? [{ kind: "mirred", mode: "redirect", to: ifb }] : [];
    const want: DevWant = { filters: { ingress: [...mirror, ...redirect], egress: mirror } };
    if (p.ingress) want.root = tbfFor(p.ingress);
    planDev(tx, dev, want, have(dev));
  }
  for (const l of observed.links) if (IFB_NAME.test(l.name) && !ifbs.has(l.name)) tx.ipAfter.delLink(l.name);
  return { tx, again, devices };
}
