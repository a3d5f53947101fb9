/** `podnet agent`: the per-node agent (routing: host-gw, vxlan or bgp; the service proxy; the CNI socket), as flanneld or calico-node. */
import { type Command, Option } from "commander";
import { AgentDaemon } from "../agent/daemon.js";
import type { HostedProxyOptions } from "../agent/proxy.js";
import { HOST_IP_BATCH } from "../cni/datapath.js";
import { RealExecutor } from "../exec/real.js";
import type { ProxyMode } from "../proxy/daemon.js";
import { DEFAULT_ROUTING, type RoutingMode } from "../routing/types.js";
import { parseBindAddress } from "../util/http.js";
import { isCIDR, isIP } from "../util/ip.js";
import {
  collect,
  durationOption,
  familiesOf,
  type IpFamilyFlag,
  ipFamilyOption,
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
import { type ProxyTuningFlags, proxyConfig, proxyTuningOptions } from "./proxy.js";

/** AgentProxyFlags are the flags of the service proxy the agent hosts. */
interface AgentProxyFlags extends ProxyTuningFlags {
  proxyMode: ProxyMode | "none";
  proxyStatusFile?: string;
  ipFamily: IpFamilyFlag;
  proxySyncPeriod: number;
  proxyFullSyncPeriod: number;
  healthzBindAddress: string;
  proxyMetricsBindAddress: string;
}

/** AgentFlags are `podnet agent`'s flags. */
interface AgentFlags extends AgentProxyFlags {
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
  cniSocket?: string;
}

/** hostedProxy turns the proxy flags into the hosted proxy's options (none with --proxy-mode none). */
function hostedProxy(o: AgentFlags): HostedProxyOptions | undefined {
  if (o.proxyMode === "none") return undefined;
  const healthzBind = parseBindAddress(o.healthzBindAddress);
  const metricsBind = parseBindAddress(o.proxyMetricsBindAddress);
  return {
    // Without --node-ip the proxy takes the Node's InternalIPs (and zone label), as kube-proxy does.
    cfg: proxyConfig({ ...o, nodeIp: o.nodeIp ?? [] }),
    ...(o.proxyStatusFile ? { statusFile: o.proxyStatusFile } : {}),
    families: familiesOf(o.ipFamily),
    mode: o.proxyMode,
    serviceCIDRs: o.serviceCidr,
    nodePortAddresses: o.nodeportAddresses,
    iptables: o.iptables,
    syncPeriodMs: o.proxySyncPeriod,
    fullSyncPeriodMs: o.proxyFullSyncPeriod,
    ...(healthzBind ? { healthzBind } : {}),
    ...(metricsBind ? { metricsBind } : {}),
  };
}

/** proxyOptions adds the hosted proxy's flags. */
function proxyOptions(cmd: Command): Command {
  return proxyTuningOptions(
    cmd
      .addOption(
        new Option("--proxy-mode <mode>", "the service proxy the agent runs: kube-proxy's iptables or nftables layout, or none")
          .choices(["iptables", "nftables", "none"])
          .default("iptables"),
      )
      .option("--proxy-status-file <file>", "where the proxy records each sync")
      .addOption(ipFamilyOption())
      .addOption(durationOption("--proxy-sync-period <duration>", "how often the proxy checks for flushed rules", "30s"))
      .addOption(durationOption("--proxy-full-sync-period <duration>", "how often the proxy rewrites every chain", "1h"))
      .option("--healthz-bind-address <host:port>", "where the proxy serves /healthz and /livez (empty: off)", "0.0.0.0:10256")
      .option("--proxy-metrics-bind-address <host:port>", "where the proxy serves kube-proxy's /metrics (empty: off)", "127.0.0.1:10249"),
  );
}

/** registerAgent adds `podnet agent`. */
export function registerAgent(program: Command): void {
  proxyOptions(program.command("agent"))
    .description(
      "run the node's agent: routes to the other nodes' pods (host-gw, vxlan or bgp), egress NAT, the service proxy, the CNI socket",
    )
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
    .option(
      "--node-ip <ips>",
      "register the node (create its Node when missing) with these InternalIPs, comma-separated; also the proxy's node IPs (default: the Node's)",
      listParser,
    )
    .option("--cni-conf-dir <dir>", "write the node's podnet conflist here once it has a pod CIDR (e.g. /etc/cni/net.d)")
    .option("--cni-ipam-dir <dir>", "with --cni-conf-dir: where the conflist has podnet-cni keep address leases", "/var/lib/podnet/ipam")
    .option("--cni-socket <path>", "answer podnet-cni's calls on this unix socket, as `podnet-cni agent` does (e.g. /run/podnet/cni.sock)")
    .action(async (o: AgentFlags) => {
      for (const c of o.clusterCidr) if (!isCIDR(c)) throw new CliError(`error: invalid --cluster-cidr "${c}": not a CIDR`);
      for (const ip of o.nodeIp ?? []) if (!isIP(ip)) throw new CliError(`error: invalid --node-ip "${ip}": not an IP address`);
      const bind = parseBindAddress(o.bindAddress);
      const proxy = hostedProxy(o);
      // Every CNI ADD and DEL starts the node side's `ip -batch`: keep one started.
      const exec = new RealExecutor(o.cniSocket ? { spares: [HOST_IP_BATCH] } : {});
      const d = new AgentDaemon(exec, {
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
        ...(proxy ? { proxy } : {}),
        ...(o.cniSocket ? { cniSocket: o.cniSocket } : {}),
        log: logLine,
      });
      try {
        await serve(d);
      } finally {
        exec.close(); // a spare `ip` would keep the process alive
      }
    });
}
