/** `podnet proxy` (the node's service proxy daemon) and `podnet render proxy` (print rules, touch nothing). */
import { readFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { collect } from "./flags.js";
import { RealExecutor } from "../exec/real.js";
import { parseManifest } from "../model/parse.js";
import type { EndpointSlice, Service } from "../model/types.js";
import { ProxyDaemon } from "../proxy/daemon.js";
import { parseBindAddress } from "../util/http.js";
import { renderFullSync } from "../proxy/iptables/proxier.js";
import { ServiceTracker } from "../proxy/tracker.js";
import { DEFAULT_PROXY_CONFIG, type Family, type ProxyConfig } from "../proxy/types.js";
import { isCIDR, isIP } from "../util/ip.js";


interface NodeFlags {
  nodeName: string;
  nodeIp: string[];
  clusterCidr: string[];
  masqueradeBit: string;
  masqueradeAll?: boolean;
  localhostNodeports: boolean;
  zone?: string;
}

function nodeOptions(cmd: Command): Command {
  return cmd
    .requiredOption("--node-name <name>", "this node's name (endpoints with this nodeName are local)")
    .option("--node-ip <ip>", "a node IP (repeatable)", collect, [])
    .option("--cluster-cidr <cidr>", "pod CIDR of the cluster, for the local-traffic detector (repeatable)", collect, [])
    .option("--masquerade-bit <n>", "bit of the fwmark that asks for SNAT", "14")
    .option("--masquerade-all", "SNAT all traffic sent to service cluster IPs")
    .option("--no-localhost-nodeports", "do not answer NodePorts on 127.0.0.0/8")
    .option("--zone <zone>", "this node's topology.kubernetes.io/zone (topology-aware routing)");
}

function proxyConfig(o: NodeFlags): ProxyConfig {
  const bit = Number(o.masqueradeBit);
  if (!Number.isInteger(bit) || bit < 0 || bit > 31) throw new Error(`invalid --masquerade-bit "${o.masqueradeBit}": want 0-31`);
  for (const ip of o.nodeIp) if (!isIP(ip)) throw new Error(`invalid --node-ip "${ip}": not an IP address`);
  for (const c of o.clusterCidr) if (!isCIDR(c)) throw new Error(`invalid --cluster-cidr "${c}": not a CIDR`);
  return {
    ...DEFAULT_PROXY_CONFIG,
    nodeName: o.nodeName,
    nodeIPs: o.nodeIp,
    clusterCIDRs: o.clusterCidr,
    masqueradeBit: bit,
    masqueradeAll: o.masqueradeAll === true,
    localhostNodePorts: o.localhostNodeports,
    nodeLabels: o.zone ? { "topology.kubernetes.io/zone": o.zone } : {},
  };
}

function parseDuration(s: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(s);
  if (!m) throw new Error(`invalid duration "${s}": use e.g. 500ms, 30s, 1h`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms"];
}

/** DaemonFlags are `podnet proxy`'s own flags. */
interface DaemonFlags {
  store: string;
  statusFile?: string;
  iptables: "auto";
  ipFamily: string[];
  syncPeriod: string;
  fullSyncPeriod: string;
  healthzBindAddress: string;
  metricsBindAddress: string;
}

/** registerProxy adds `podnet proxy` and `podnet render proxy`. */
export function registerProxy(program: Command, render: Command): void {
  nodeOptions(program.command("proxy").description("run the node's service proxy (kube-proxy's iptables mode)"))
    .requiredOption("--store <file>", "cluster store file to watch")
    .option("--status-file <file>", "where to record each sync")
    .addOption(new Option("--iptables <flavour>", "iptables backend").choices(["auto", "nft", "legacy"]).default("auto"))
    .option("--ip-family <f>", "IP families to proxy (4, 6, repeatable)", collect, [])
    .option("--sync-period <d>", "how often to check for flushed rules", "30s")
    .option("--full-sync-period <d>", "how often to rewrite every chain", "1h")
    .option("--healthz-bind-address <host:port>", "where to serve /healthz and /livez (empty: off)", "0.0.0.0:10256")
    .option("--metrics-bind-address <host:port>", "where to serve /metrics (empty: off)", "127.0.0.1:10249")
    .action(async (o: NodeFlags & DaemonFlags) => {
      const healthzBind = parseBindAddress(o.healthzBindAddress);
      const metricsBind = parseBindAddress(o.metricsBindAddress);
      const families = (o.ipFamily.length ? o.ipFamily : ["4"]).map((f) => Number(f) as Family);
      const d = new ProxyDaemon(new RealExecutor(), {
        cfg: proxyConfig(o),
        storeFile: o.store,
        ...(o.statusFile ? { statusFile: o.statusFile } : {}),
        families,
        iptables: o.iptables,
        syncPeriodMs: parseDuration(o.syncPeriod),
        fullSyncPeriodMs: parseDuration(o.fullSyncPeriod),
        ...(healthzBind ? { healthzBind } : {}),
        ...(metricsBind ? { metricsBind } : {}),
        log: (l) => process.stderr.write(`${new Date().toISOString()} ${l}\n`),
      });
      await d.start();
      process.stdout.write("ready\n");
      for (const sig of ["SIGTERM", "SIGINT"] as const) process.once(sig, () => d.stop());
      await d.run();
    });

  nodeOptions(render.command("proxy").description("print the iptables-restore input of a full proxy sync"))
    .addOption(new Option("--mode <mode>", "proxy mode").choices(["iptables"]).default("iptables"))
    .requiredOption("-f, --filename <file>", "Services and EndpointSlices (YAML or JSON; repeatable)", collect, [])
    .addOption(new Option("--ip-family <f>", "IP family").choices(["4", "6"]).default("4"))
    .action((o: NodeFlags & { filename: string[]; ipFamily: string }) => {
      const cfg = proxyConfig(o);
      const tracker = new ServiceTracker();
      const services: Service[] = [];
      const slices: EndpointSlice[] = [];
      let bad = 0;
      for (const f of o.filename)
        for (const doc of parseManifest(readFileSync(f === "-" ? 0 : f, "utf8"), f)) {
          if ("error" in doc) {
            process.stderr.write(`${doc.error.message}\n`);
            bad++;
            continue;
          }
          if (doc.object.kind === "Service") services.push(doc.object as Service);
          else if (doc.object.kind === "EndpointSlice") slices.push(doc.object as EndpointSlice);
        }
      tracker.replaceAll(services, slices);
      const r = renderFullSync(tracker, cfg, Number(o.ipFamily) as Family);
      for (const e of r.errors) process.stderr.write(`${e}\n`);
      process.stdout.write(r.text);
      if (bad + r.errors.length > 0) process.exitCode = 1;
    });
}
