/** `podnet agent`: the per-node agent (its routing part: host-gw, vxlan or bgp), as flanneld or calico-node. */
import type { Command } from "commander";
import { AgentDaemon } from "../agent/daemon.js";
import { RealExecutor } from "../exec/real.js";
import { DEFAULT_ROUTING, type RoutingMode } from "../routing/types.js";
import { parseBindAddress } from "../util/http.js";
import { isCIDR, isIP } from "../util/ip.js";
import {
  collect,
  durationOption,
  ifaceName,
  intOption,
  type IptablesFlag,
  iptablesOption,
  listParser,
  logLine,
  routingModeOption,
  serve,
  storeOption,
} from "./flags.js";
import { CliError } from "./manifests.js";

/** AgentFlags are `podnet agent`'s flags. */
interface AgentFlags {
  nodeName: string;
  store: string;
  statusFile?: string;
  clusterCidr: string[];
  routingMode: RoutingMode;
  underlayDev: string;
  underlayMtu: number;
  vni: number;
  vxlanPort: number;
  asn: number;
  bgpRouteReflectors?: string[];
  stateDir: string;
  iptables: IptablesFlag;
  resyncPeriod: number;
  bindAddress: string;
  heartbeatTtl: number;
  nodeIp?: string[];
  cniConfDir?: string;
  cniIpamDir: string;
}

/** registerAgent adds `podnet agent`. */
export function registerAgent(program: Command): void {
  program
    .command("agent")
    .description("run the node's agent: routes to the other nodes' pods (host-gw, vxlan or bgp) and egress NAT")
    .requiredOption("--node-name <name>", "this node's name: the agent programs only this node")
    .addOption(storeOption())
    .option("--status-file <file>", "where to record the cluster version the node converged to")
    .option("--cluster-cidr <cidr>", "pod CIDR of the cluster, for egress NAT (repeatable)", collect, [])
    .addOption(routingModeOption())
    .option("--underlay-dev <name>", "the interface that holds the node IP", ifaceName, DEFAULT_ROUTING.underlayDev)
    .addOption(intOption("--underlay-mtu <bytes>", "the underlay's MTU", 1280, 9000, DEFAULT_ROUTING.underlayMtu))
    .addOption(intOption("--vni <n>", "vxlan: the VXLAN network identifier", 1, 16_777_215, DEFAULT_ROUTING.vni))
    .addOption(intOption("--vxlan-port <port>", "vxlan: the UDP port", 1, 65_535, DEFAULT_ROUTING.port))
    .addOption(intOption("--asn <n>", "bgp: the cluster's AS number", 1, 4_294_967_295, DEFAULT_ROUTING.asn))
    .option("--bgp-route-reflectors <nodes>", "bgp: comma-separated route-reflector nodes (default: full mesh)", listParser)
    .option("--state-dir <dir>", "where BIRD's files go", "/var/lib/podnet/agent")
    .addOption(iptablesOption("the node uses"))
    .addOption(durationOption("--resync-period <duration>", "how often to check the node's routes without a change", "10s"))
    .option("--bind-address <host:port>", "where to serve /metrics, /healthz and /readyz (empty: off)", "127.0.0.1:9099")
    .addOption(
      durationOption(
        "--heartbeat-ttl <duration>",
        "etcd: keep the node's lease (kube-node-lease) with this TTL, after which the node turns NotReady; 0s: none",
        "40s",
      ),
    )
    .option("--node-ip <ips>", "register the node (create its Node when missing) with these InternalIPs, comma-separated", listParser)
    .option("--cni-conf-dir <dir>", "write the node's podnet conflist here once it has a pod CIDR (e.g. /etc/cni/net.d)")
    .option("--cni-ipam-dir <dir>", "with --cni-conf-dir: where the conflist has podnet-cni keep address leases", "/var/lib/podnet/ipam")
    .action(async (o: AgentFlags) => {
      for (const c of o.clusterCidr) if (!isCIDR(c)) throw new CliError(`error: invalid --cluster-cidr "${c}": not a CIDR`);
      for (const ip of o.nodeIp ?? []) if (!isIP(ip)) throw new CliError(`error: invalid --node-ip "${ip}": not an IP address`);
      const bind = parseBindAddress(o.bindAddress);
      const d = new AgentDaemon(new RealExecutor(), {
        node: o.nodeName,
        store: o.store,
        ...(o.statusFile ? { statusFile: o.statusFile } : {}),
        settings: {
          mode: o.routingMode,
          underlayDev: o.underlayDev,
          underlayMtu: o.underlayMtu,
          vni: o.vni,
          port: o.vxlanPort,
          asn: o.asn,
          routeReflectors: o.bgpRouteReflectors ?? [],
        },
        clusterCIDRs: o.clusterCidr,
        stateDir: o.stateDir,
        iptables: o.iptables,
        resyncPeriodMs: o.resyncPeriod,
        heartbeatTtlSeconds: Math.round(o.heartbeatTtl / 1000),
        ...(o.nodeIp ? { nodeIPs: o.nodeIp } : {}),
        ...(o.cniConfDir ? { cni: { confDir: o.cniConfDir, ipamDir: o.cniIpamDir } } : {}),
        ...(bind ? { bind } : {}),
        log: logLine,
      });
      await serve(d);
    });
}
