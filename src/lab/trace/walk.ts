/**
 * Walking a flow through the lab hop by hop, from what each node's kernel holds: at every node the
 * first packet is traced through the live iptables and nftables rulesets and ipsets of its family
 * (every DNAT candidate with its probability, the rules that decided, masquerade), then routed by
 * the kernel's own `ip route get` — delivered to a pod or the node, handed to another node
 * (directly, or encapsulated in VXLAN towards the FDB entry of the next hop's neighbour MAC), sent
 * out to the underlay, or not routed at all.
 */
import { type Packet, tracePacket } from "../../netfilter/index.js";
import type { KernelRoute, NodeView } from "./view.js";

/** Flow is the first packet of a connection. */
export interface Flow {
  src: string;
  dst: string;
  proto: "tcp" | "udp";
  dport: number;
}

/** Hop is what one node did with the packet. */
export interface Hop {
  node: string;
  iif?: string;
  flow: Flow;
  verdict: "ACCEPT" | "DROP" | "REJECT";
  rules: string[];
  dnat?: string;
  masquerade: boolean;
  /** route is the kernel's route: device, gateway, who installed it (`bird`…) and the encapsulation. */
  route?: { dev?: string; via?: string; proto?: string; encap?: string };
}

/** Outcome is where a path ends. */
export type Outcome =
  | { kind: "delivered"; pod: string; ip: string; port: number }
  | { kind: "node"; node: string; port: number }
  | { kind: "underlay"; dst: string; port: number; src: string }
  | { kind: "rejected" | "dropped"; node: string; rule?: string }
  | { kind: "no-route"; node: string; error: string };

/** Path is one way the flow can go, with its probability. */
export interface Path {
  probability: number;
  hops: Hop[];
  outcome: Outcome;
}

/** LabMap is what the walk knows of the lab: node views, pods and nodes (underlay or VTEP) by address, the VXLAN device. */
export interface LabMap {
  view(node: string): Promise<NodeView>;
  podAt(ip: string): { pod: string; node: string } | undefined;
  nodeAt(ip: string): string | undefined;
  vxlanDev: string;
}

const ipOf = (to: string) => to.replace(/^\[/, "").replace(/\]?:\d+$/, "");
const portOf = (to: string) => Number(/:(\d+)$/.exec(to)?.[1]);

/** walk follows a flow from a node (entering it from outside on iif, or sent by the node itself). */
export async function walk(
  map: LabMap,
  node: string,
  from: "outside" | "node",
  iif: string | undefined,
  flow: Flow,
  depth = 0,
): Promise<Path[]> {
  const v = await map.view(node);
  const family = flow.dst.includes(":") ? 6 : 4;
  const chains = v.chains[family];
  const pkt: Packet = { src: flow.src, dst: flow.dst, proto: flow.proto, dport: flow.dport };
  const base = { local: v.local, from, sets: v.sets, recent: v.recent, ...(iif ? { iif } : {}) };
  // First pass finds the destinations (DNAT candidates); their routes give `-o` its answer in the second.
  const dsts = new Set([flow.dst, ...tracePacket(chains, pkt, base).flatMap((o) => (o.dnat ? [ipOf(o.dnat)] : []))]);
  const routes = new Map<string, KernelRoute>();
  for (const d of dsts) routes.set(d, await v.route(d, flow.src, from === "outside" ? iif : undefined));
  const outcomes = tracePacket(chains, pkt, { ...base, oif: (d) => routes.get(d)?.dev });
  const paths: Path[] = [];
  for (const o of outcomes) {
    const hop: Hop = {
      node,
      ...(iif ? { iif } : {}),
      flow,
      verdict: o.verdict,
      rules: o.rules,
      masquerade: o.masquerade,
      ...(o.dnat ? { dnat: o.dnat } : {}),
    };
    const last = o.rules.at(-1);
    if (o.verdict !== "ACCEPT") {
      const kind = o.verdict === "REJECT" ? "rejected" : "dropped";
      paths.push({ probability: o.probability, hops: [hop], outcome: { kind, node, ...(last ? { rule: last } : {}) } });
      continue;
    }
    const dst = o.dnat ? ipOf(o.dnat) : flow.dst;
    const dport = o.dnat ? portOf(o.dnat) : flow.dport;
    const r = routes.get(dst) as KernelRoute;
    const src = o.masquerade ? (r.prefsrc ?? (r.dev ? v.addressOf(r.dev, family) : undefined) ?? flow.src) : flow.src;
    hop.route = {
      ...(r.dev ? { dev: r.dev } : {}),
      ...(r.gateway ? { via: r.gateway } : {}),
      ...(r.protocol ? { proto: r.protocol } : {}),
    };
    const end = (outcome: Outcome): Path => ({ probability: o.probability, hops: [hop], outcome });
    const pod = map.podAt(dst);
    if (r.error) paths.push(end({ kind: "no-route", node, error: r.error }));
    else if (r.local) paths.push(end({ kind: "node", node, port: dport }));
    else if (pod && pod.node === node) paths.push(end({ kind: "delivered", pod: pod.pod, ip: dst, port: dport }));
    else {
      let next = r.gateway ? map.nodeAt(r.gateway) : undefined;
      if (r.dev === map.vxlanDev) {
        // The kernel encapsulates towards the FDB entry of the next hop's neighbour MAC; without either it has nowhere to send.
        const t = await v.tunnel(r.dev, r.gateway ?? dst);
        if (!t.remote) {
          const why = t.mac ? `no FDB entry for ${t.mac} on ${r.dev}` : `no neighbour entry for ${r.gateway ?? dst} on ${r.dev}`;
          paths.push(end({ kind: "dropped", node, rule: why }));
          continue;
        }
        next = map.nodeAt(t.remote);
        hop.route.encap = `VXLAN to ${next ?? t.remote} (VTEP MAC ${t.mac}, remote ${t.remote})`;
      }
      if (!next || depth > 4) {
        paths.push(end({ kind: "underlay", dst, port: dport, src }));
        continue;
      }
      const rest = await walk(
        map,
        next,
        "outside",
        r.dev === map.vxlanDev ? map.vxlanDev : "eth0",
        { ...flow, src, dst, dport },
        depth + 1,
      );
      for (const p of rest) paths.push({ probability: o.probability * p.probability, hops: [hop, ...p.hops], outcome: p.outcome });
    }
  }
  return paths;
}
