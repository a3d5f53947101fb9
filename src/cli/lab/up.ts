/** `podnet lab up`: build the lab; Ctrl-C while building removes what was built. */
import { type Command, Option } from "commander";
import { LabError } from "../../lab/layout.js";
import type { RoutingMode } from "../../routing/types.js";
import {
  cniModeOption,
  ifaceName,
  type IpFamilyFlag,
  intOption,
  ipFamilyOption,
  type IptablesFlag,
  iptablesOption,
  listParser,
  routingModeOption,
} from "../flags.js";
import { openLab } from "./open.js";

interface UpFlags {
  nodes: number;
  iptables: IptablesFlag;
  routingMode: RoutingMode;
  bgpRouteReflectors?: string[];
  cniMode: "bridge" | "routed";
  ipFamily: IpFamilyFlag;
  mirror: boolean;
  mirrorIface: string;
  proxyMode: "iptables" | "nftables" | "ipvs";
  dns?: boolean;
  nodeAgent: boolean;
  supervise: boolean;
  datastore: "embedded" | "etcd";
}

/** registerUp adds `lab up`. */
export function registerUp(lab: Command): void {
  lab
    .command("up")
    .description("create the lab: underlay, external host and nodes")
    .addOption(intOption("--nodes <n>", "number of nodes", 1, 170, 2))
    .addOption(iptablesOption("the nodes use"))
    .addOption(routingModeOption())
    .option("--bgp-route-reflectors <nodes>", "bgp: comma-separated route-reflector nodes (default: full mesh)", listParser)
    .addOption(cniModeOption())
    .addOption(ipFamilyOption(["ipv4", "dual"]))
    .addOption(
      new Option("--proxy-mode <mode>", "the nodes' service proxy: kube-proxy's iptables or nftables layout (ipvs: render only)")
        .choices(["iptables", "nftables", "ipvs"])
        .default("iptables"),
    )
    .option("--mirror", "enable traffic mirroring on every node (pods annotated ovn.kubernetes.io/mirror=true)", false)
    .option("--mirror-iface <name>", "the nodes' mirror interface", ifaceName, "mirror0")
    .option("--dns", "run the cluster DNS: kube-dns at 10.96.0.10, two podnet dns pods, an upstream on the external host (the default)")
    .option("--no-dns", "run no cluster DNS (pods then use the machine's resolver)")
    .option("--node-agent", "route each node's pods from a `podnet agent` in the node, as flanneld or calico-node do", false)
    .option(
      "--supervise",
      "restart dead node daemons within a second, as the kubelet restarts a DaemonSet's pods (on with --node-agent)",
      false,
    )
    .addOption(
      new Option(
        "--datastore <kind>",
        "where the cluster's state lives: a file (embedded) or a 3-member etcd cluster over TLS, one member per namespace (etcd)",
      )
        .choices(["embedded", "etcd"])
        .default("embedded"),
    )
    .action(async (o: UpFlags, cmd: Command) => {
      if (o.proxyMode === "ipvs")
        throw new LabError(
          "failed to create lab: --proxy-mode ipvs needs the kernel's IPVS, which this machine's kernel does not have; \"podnet render proxy --mode ipvs\" prints what it would program",
        );
      const l = openLab(cmd);
      let interrupted = false;
      const onSignal = () => {
        interrupted = true;
        process.stderr.write("interrupted: removing the half-built lab…\n");
      };
      process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
      try {
        const cfg = await l.up(o.nodes, {
          iptables: o.iptables,
          routing: { mode: o.routingMode, routeReflectors: o.bgpRouteReflectors ?? [] },
          cniMode: o.cniMode,
          ipFamily: o.ipFamily === "dual" ? "dual" : "ipv4",
          ...(o.mirror ? { mirror: { iface: o.mirrorIface } } : {}),
          proxyMode: o.proxyMode,
          dns: o.dns !== false,
          nodeAgent: o.nodeAgent,
          supervise: o.supervise,
          datastore: o.datastore,
        });
        const names = cfg.nodes.map((n) => `${n.name} (${[n.ip, ...(n.ip6 ? [n.ip6] : [])].join(", ")})`).join(", ");
        if (!interrupted) process.stdout.write(`lab "${cfg.name}" is up with ${cfg.nodes.length} nodes: ${names}\n`);
      } finally {
        process.removeListener("SIGINT", onSignal).removeListener("SIGTERM", onSignal);
      }
      if (interrupted) {
        await l.down();
        process.exitCode = 130;
      }
    });
}
