/** `podnet proxy`: the node's service proxy daemon (kube-proxy's iptables or nftables mode), and the node flags it shares with `render proxy`. */
import { type Command, Option } from "commander";
import { RealExecutor } from "../exec/real.js";
import { ProxyDaemon, type ProxyMode } from "../proxy/daemon.js";
import { DEFAULT_PROXY_CONFIG, type ProxyConfig } from "../proxy/types.js";
import { parseBindAddress } from "../util/http.js";
import { isCIDR, isIP } from "../util/ip.js";
import {
  collect,
  durationOption,
  familiesOf,
  type IpFamilyFlag,
  ipFamilyOption,
  type IptablesFlag,
  iptablesOption,
  intOption,
  proxyModeOption,
  logLine,
  serve,
  storeOption,
} from "./flags.js";
import { CliError } from "./manifests.js";

/** ProxyTuningFlags are the proxy settings `podnet agent` takes too. */
export interface ProxyTuningFlags {
  masqueradeBit: number;
  masqueradeAll?: boolean;
  localhostNodeports: boolean;
  zone?: string;
  serviceCidr: string[];
  nodeportAddresses: string[];
}

/** NodeFlags are the node settings every proxy command takes. */
export interface NodeFlags extends ProxyTuningFlags {
  nodeName: string;
  nodeIp: string[];
  clusterCidr: string[];
}

/** nodeOptions adds the node flags to a proxy command. */
export function nodeOptions(cmd: Command): Command {
  return proxyTuningOptions(
    cmd
      .requiredOption("--node-name <name>", "this node's name (endpoints with this nodeName are local)")
      .option("--node-ip <ip>", "a node IP (repeatable)", collect, [])
      .option("--cluster-cidr <cidr>", "pod CIDR of the cluster, for the local-traffic detector (repeatable)", collect, []),
  );
}

/** proxyTuningOptions adds the proxy's own settings (masquerading, localhost NodePorts, zone, service ranges). */
export function proxyTuningOptions(cmd: Command): Command {
  return cmd
    .addOption(intOption("--masquerade-bit <n>", "bit of the fwmark that asks for SNAT", 0, 31, 14))
    .option("--masquerade-all", "SNAT all traffic sent to service cluster IPs")
    .option("--no-localhost-nodeports", "do not answer NodePorts on 127.0.0.0/8")
    .option("--zone <zone>", "this node's topology.kubernetes.io/zone (topology-aware routing)")
    .option(
      "--service-cidr <cidr>",
      "nftables mode: a service range; traffic to its unallocated ClusterIPs is dropped (repeatable)",
      collect,
      [],
    )
    .option(
      "--nodeport-addresses <cidr>",
      "nftables mode: NodePorts answer on the node's addresses in these ranges (0.0.0.0/0: all; default: the node IPs) (repeatable)",
      collect,
      [],
    );
}

/** proxyConfig checks the node flags and turns them into the proxy's config. */
export function proxyConfig(o: NodeFlags): ProxyConfig {
  for (const ip of o.nodeIp) if (!isIP(ip)) throw new CliError(`error: invalid --node-ip "${ip}": not an IP address`);
  for (const [flag, cidrs] of [
    ["--cluster-cidr", o.clusterCidr],
    ["--service-cidr", o.serviceCidr],
    ["--nodeport-addresses", o.nodeportAddresses],
  ] as const)
    for (const c of cidrs) if (!isCIDR(c)) throw new CliError(`error: invalid ${flag} "${c}": not a CIDR`);
  return {
    ...DEFAULT_PROXY_CONFIG,
    nodeName: o.nodeName,
    nodeIPs: o.nodeIp,
    clusterCIDRs: o.clusterCidr,
    masqueradeBit: o.masqueradeBit,
    masqueradeAll: o.masqueradeAll === true,
    localhostNodePorts: o.localhostNodeports,
    nodeLabels: o.zone ? { "topology.kubernetes.io/zone": o.zone } : {},
  };
}

/** DaemonFlags are `podnet proxy`'s own flags. */
interface DaemonFlags {
  proxyMode: ProxyMode;
  store: string;
  statusFile?: string;
  iptables: IptablesFlag;
  ipFamily: IpFamilyFlag;
  syncPeriod: number;
  fullSyncPeriod: number;
  healthzBindAddress: string;
  metricsBindAddress: string;
}

/** registerProxy adds `podnet proxy`. */
export function registerProxy(program: Command): void {
  nodeOptions(program.command("proxy").description("run the node's service proxy (kube-proxy's iptables or nftables mode)"))
    .addOption(storeOption())
    .option("--status-file <file>", "where to record each sync")
    .addOption(proxyModeOption())
    .addOption(iptablesOption("the node uses"))
    .addOption(ipFamilyOption())
    .addOption(durationOption("--sync-period <duration>", "how often to check for flushed rules", "30s"))
    .addOption(durationOption("--full-sync-period <duration>", "how often to rewrite every chain", "1h"))
    .addOption(new Option("--healthz-bind-address <host:port>", "where to serve /healthz and /livez (empty: off)").default("0.0.0.0:10256"))
    .addOption(new Option("--metrics-bind-address <host:port>", "where to serve /metrics (empty: off)").default("127.0.0.1:10249"))
    .action(async (o: NodeFlags & DaemonFlags) => {
      const healthzBind = parseBindAddress(o.healthzBindAddress);
      const metricsBind = parseBindAddress(o.metricsBindAddress);
      const d = new ProxyDaemon(new RealExecutor(), {
        cfg: proxyConfig(o),
        storeFile: o.store,
        ...(o.statusFile ? { statusFile: o.statusFile } : {}),
        families: familiesOf(o.ipFamily),
        mode: o.proxyMode,
        serviceCIDRs: o.serviceCidr,
        nodePortAddresses: o.nodeportAddresses,
        iptables: o.iptables,
        syncPeriodMs: o.syncPeriod,
        fullSyncPeriodMs: o.fullSyncPeriod,
        ...(healthzBind ? { healthzBind } : {}),
        ...(metricsBind ? { metricsBind } : {}),
        log: logLine,
      });
      await serve(d);
    });
}
