/**
 * The CNI network configuration the lab writes on each node (what a node's /etc/cni/net.d holds):
 * bridge cni0 at the routing mode's pod MTU, IPAM from the node's pod CIDRs, plus one pool per
 * Subnet made of the blocks the Subnet controller gave this node, chosen by the pod's namespace.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { subnetCidrs } from "../model/subnet.js";
import type { ConfList } from "../cni/runtime.js";
import type { IpamSubnet } from "../ipam/types.js";
import type { Node, Subnet } from "../model/types.js";
import { cidrContains, parseCIDR } from "../util/ip.js";

/** CONFLIST_FILE is the name of podnet's network in a CNI config directory. */
export const CONFLIST_FILE = "10-podnet.conflist";

const defaultRoute = (cidr: string) => ({ dst: cidr.includes(":") ? "::/0" : "0.0.0.0/0" });

/** subnetPool is one Subnet's IPAM pool on a node (undefined when the node has no block of it yet). */
export function subnetPool(s: Subnet, node: string): IpamSubnet | undefined {
  const gw = s.spec.gateway;
  const blocks = (s.status?.blocks ?? []).filter((b) => b.node === node);
  if (blocks.length === 0) return undefined;
  const ranges = [4, 6]
    .map((fam) =>
      blocks
        .filter((b) => b.cidr.includes(":") === (fam === 6))
        .map((b) => ({ subnet: b.cidr, ...(gw && cidrContains(parseCIDR(b.cidr)!, gw) ? { gateway: gw } : {}) })),
    )
    .filter((set) => set.length > 0);
  return {
    name: s.metadata.name,
    namespaces: s.spec.namespaces ?? [],
    default: s.spec.default ?? false,
    ranges,
    routes: subnetCidrs(s).map(defaultRoute),
    excludeIps: [...(s.spec.excludeIps ?? []), ...(gw ? [gw] : [])],
  };
}

/** NodeNetOptions are a node's network settings besides its pod CIDRs. */
export interface NodeNetOptions {
  ipamDataDir: string;
  mtu: number;
  subnets?: Subnet[];
  mode?: "bridge" | "routed";
  /** agentSocket is the node's podnet-cni agent ("none": run the plugin standalone). */
  agentSocket?: string;
  /** dns is the cluster DNS (its addresses and domain), reported in CNI results for runtimes that write resolv.conf from them. */
  dns?: { nameservers: string[]; domain: string };
}

/** nodeConfList is a node's podnet network, in bridge or routed mode. */
export function nodeConfList(node: Node, o: NodeNetOptions): ConfList {
  const { ipamDataDir, mtu, subnets = [], mode = "bridge" } = o;
  const cidrs = node.spec.podCIDRs ?? (node.spec.podCIDR ? [node.spec.podCIDR] : []);
  const pools = subnets.flatMap((s) => subnetPool(s, node.metadata.name) ?? []);
  return {
    cniVersion: "1.0.0",
    name: "podnet",
    plugins: [
      {
        type: "podnet-cni",
        capabilities: { ips: true, mac: true },
        ...(mode === "routed" ? { mode } : {}),
        ...(o.agentSocket ? { agentSocket: o.agentSocket } : {}),
        bridge: "cni0",
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        mtu,
        ...(o.dns
          ? {
              dns: {
                nameservers: o.dns.nameservers,
                search: [`svc.${o.dns.domain}`, o.dns.domain],
                options: ["ndots:5"],
              },
            }
          : {}),
        ipam: {
          type: "podnet",
          ranges: cidrs.map((subnet) => [{ subnet }]),
          routes: cidrs.map(defaultRoute),
          dataDir: ipamDataDir,
          ...(pools.length ? { subnets: pools } : {}),
        },
      },
      // The reference portmap plugin for hostPorts, chained as on a kubelet node. Bandwidth is the
      // node's QoS agent's (`podnet qos`), which follows annotation changes: one owner of the qdiscs.
      { type: "portmap", capabilities: { portMappings: true }, snat: true },
    ],
  };
}

/** ConfListWriter keeps a node's `10-podnet.conflist` in step with its Node and Subnets, as flanneld keeps subnet.env. */
export class ConfListWriter {
  private written = "";

  constructor(
    private readonly dir: string,
    private readonly node: string,
    private readonly opts: NodeNetOptions,
  ) {}

  /** write writes the conflist once the node has pod CIDRs, and again only when it changes; it returns the file when it wrote. */
  write(nodes: Node[], subnets: Subnet[]): string | undefined {
    const me = nodes.find((n) => n.metadata.name === this.node);
    if (!me || !(me.spec.podCIDRs?.length || me.spec.podCIDR)) return undefined;
    const text = `${JSON.stringify(nodeConfList(me, { ...this.opts, subnets }), null, 2)}\n`;
    if (text === this.written) return undefined;
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, CONFLIST_FILE);
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
    this.written = text;
    return file;
  }
}
