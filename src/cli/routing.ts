/** `podnet render routing`: print one node's routing state for a mode, from Node manifests, touching nothing. */
import { readFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { collect } from "./flags.js";
import { parseManifest } from "../model/parse.js";
import type { Node, Subnet } from "../model/types.js";
import { egressPlan, egressSubnet } from "../routing/egressplan.js";
import { routeNodes } from "../routing/nodes.js";
import { renderRouting } from "../routing/render.js";
import { DEFAULT_ROUTING, ROUTING_MODES, type RoutingMode } from "../routing/types.js";

interface RenderFlags {
  mode: RoutingMode;
  nodeName: string;
  filename: string[];
  underlayMtu: string;
  clusterCidr: string[];
  bgpRouteReflectors?: string;
}


/** registerRouting adds `podnet render routing`. */
export function registerRouting(render: Command): void {
  render
    .command("routing")
    .description("print a node's cross-node routes (ip/bridge batch) or bird.conf, and its egress NAT")
    .addOption(new Option("--mode <mode>", "routing mode").choices([...ROUTING_MODES]).default("host-gw"))
    .requiredOption("--node-name <name>", "the node to render for")
    .requiredOption("-f, --filename <file>", "Node manifests with podCIDRs and InternalIPs, and Subnets with status.blocks (repeatable)", collect, [])
    .option("--underlay-mtu <mtu>", "MTU of the node's underlay interface", "1500")
    .option("--cluster-cidr <cidr>", "pod pool SNATed on egress (repeatable)", collect, [])
    .option("--bgp-route-reflectors <nodes>", "comma-separated route-reflector nodes")
    .action((o: RenderFlags) => {
      const nodes: Node[] = [];
      const subnets: Subnet[] = [];
      for (const f of o.filename)
        for (const doc of parseManifest(readFileSync(f === "-" ? 0 : f, "utf8"), f)) {
          if ("error" in doc) throw doc.error;
          if (doc.object.kind === "Node") nodes.push(doc.object as Node);
          if (doc.object.kind === "Subnet") subnets.push(doc.object as Subnet);
        }
      const settings = {
        ...DEFAULT_ROUTING,
        mode: o.mode,
        underlayMtu: Number(o.underlayMtu),
        routeReflectors: o.bgpRouteReflectors?.split(",").filter(Boolean) ?? [],
      };
      const peers = routeNodes(nodes, subnets);
      const self = peers.find((n) => n.name === o.nodeName);
      const egress = self ? egressPlan(self, peers, o.clusterCidr, subnets.map(egressSubnet), settings) : { pools: [], policies: [] };
      process.stdout.write(renderRouting(o.nodeName, peers, settings, egress));
    });
}
