/** `podnet render proxy|routing|policy`: print what podnet would program for plain manifests, touching nothing. */
import type { Command } from "commander";
import type { EndpointSlice, Node, Service, Subnet } from "../model/types.js";
import { renderFullSync } from "../proxy/iptables/proxier.js";
import { nodePortIPsOf } from "../proxy/nftables/nodeports.js";
import { renderNftFullSync } from "../proxy/nftables/proxier.js";
import { renderIpvs } from "../proxy/ipvs/render.js";
import { renderSections } from "../dataplane/index.js";
import { CliError } from "./manifests.js";
import { ServiceTracker } from "../proxy/tracker.js";
import { egressPlan, egressSubnet } from "../routing/egressplan.js";
import { routeNodes } from "../routing/nodes.js";
import { renderRouting } from "../routing/render.js";
import { DEFAULT_ROUTING, type RoutingMode } from "../routing/types.js";
import {
  collect,
  familiesOf,
  filenameOption,
  intOption,
  type IpFamilyFlag,
  ipFamilyOption,
  listParser,
  proxyModeOption,
  recursiveOption,
  routingModeOption,
} from "./flags.js";
import { readKinds } from "./manifests.js";
import { registerRenderPolicy } from "./policy.js";
import { type NodeFlags, nodeOptions, proxyConfig } from "./proxy.js";

interface RoutingFlags {
  routingMode: RoutingMode;
  nodeName: string;
  filename: string[];
  recursive?: boolean;
  underlayMtu: number;
  clusterCidr: string[];
  bgpRouteReflectors?: string[];
}

/** registerRender adds `podnet render` with `proxy`, `routing` and `policy`. */
export function registerRender(program: Command): void {
  const render = program.command("render").description("print what podnet would program, touching nothing");

  nodeOptions(render.command("proxy").description("print the iptables-restore (or nft -f) input of a full proxy sync"))
    .addOption(proxyModeOption("--mode <mode>", ["iptables", "nftables", "ipvs"]))
    .option("--ipvs-scheduler <name>", "ipvs mode: the virtual servers' scheduler", "rr")
    .addOption(filenameOption("Services and EndpointSlices", true))
    .addOption(recursiveOption())
    .addOption(ipFamilyOption())
    .action(
      (
        o: NodeFlags & {
          mode: "iptables" | "nftables" | "ipvs";
          ipvsScheduler: string;
          filename: string[];
          recursive?: boolean;
          ipFamily: IpFamilyFlag;
        },
      ) => {
        const cfg = proxyConfig(o);
        const of = readKinds(o, ["Service", "EndpointSlice"]);
        const tracker = new ServiceTracker();
        tracker.replaceAll(of("Service") as Service[], of("EndpointSlice") as EndpointSlice[]);
        const families = familiesOf(o.ipFamily);
        for (const family of families) {
          if (o.mode === "ipvs") {
            if (!/^[a-z]{2,6}$/.test(o.ipvsScheduler)) throw new CliError(`error: invalid --ipvs-scheduler "${o.ipvsScheduler}"`);
            const r = renderIpvs(tracker, cfg, family, { scheduler: o.ipvsScheduler });
            for (const e of r.errors) process.stderr.write(`${e}\n`);
            if (r.errors.length) process.exitCode = 1;
            process.stdout.write(renderSections(r.sections));
            continue;
          }
          const r =
            o.mode === "nftables"
              ? renderNftFullSync(tracker, cfg, family, {
                  serviceCIDRs: o.serviceCidr.filter((c) => c.includes(":") === (family === 6)),
                  nodePortIPs: nodePortIPsOf(family, cfg.nodeIPs, o.nodeportAddresses),
                })
              : renderFullSync(tracker, cfg, family);
          for (const e of r.errors) process.stderr.write(`${e}\n`);
          if (r.errors.length) process.exitCode = 1;
          const tool = o.mode === "nftables" ? "nft -f -" : `${family === 6 ? "ip6tables" : "iptables"}-restore --noflush`;
          if (families.length > 1) process.stdout.write(`# ${tool}\n`);
          process.stdout.write(r.text);
        }
      },
    );

  render
    .command("routing")
    .description("print a node's cross-node routes (ip/bridge batches) or bird.conf, its egress NAT and gateway routes")
    .addOption(routingModeOption())
    .requiredOption("--node-name <name>", "the node to render for")
    .addOption(filenameOption("Node manifests with podCIDRs and InternalIPs, and Subnets with status.blocks", true))
    .addOption(recursiveOption())
    .addOption(intOption("--underlay-mtu <mtu>", "MTU of the node's underlay interface", 576, 65_535, 1500))
    .option("--cluster-cidr <cidr>", "pod pool SNATed on egress (repeatable)", collect, [])
    .option("--bgp-route-reflectors <nodes>", "comma-separated route-reflector nodes", listParser)
    .action((o: RoutingFlags) => {
      const of = readKinds(o, ["Node", "Subnet"]);
      const subnets = of("Subnet") as Subnet[];
      const settings = { ...DEFAULT_ROUTING, mode: o.routingMode, underlayMtu: o.underlayMtu, routeReflectors: o.bgpRouteReflectors ?? [] };
      const peers = routeNodes(of("Node") as Node[], subnets);
      const self = peers.find((n) => n.name === o.nodeName);
      const egress = self ? egressPlan(self, peers, o.clusterCidr, subnets.map(egressSubnet), settings) : { pools: [], policies: [] };
      process.stdout.write(renderRouting(o.nodeName, peers, settings, egress));
    });

  registerRenderPolicy(render);
}
