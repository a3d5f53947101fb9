/** `podnet dns`: the cluster DNS server (CoreDNS's `kubernetes` and `forward` plugins). */
import { type Command, InvalidArgumentError, Option } from "commander";
import type { PodMode } from "../dns/answer.js";
import { DnsDaemon } from "../dns/daemon.js";
import { parseUpstream, type Upstream } from "../dns/forward.js";
import { dnsSubdomainError } from "../model/names.js";
import { parseBindAddress } from "../util/http.js";
import { intOption, logLine, serve, storeOption } from "./flags.js";

const collectUpstream = (v: string, prev: Upstream[] = []): Upstream[] => {
  try {
    return [...prev, parseUpstream(v)];
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};

const domain = (v: string): string => {
  const d = v.replace(/\.$/, "").toLowerCase();
  const e = dnsSubdomainError(d);
  if (e) throw new InvalidArgumentError(e);
  return d;
};

/** registerDns adds `podnet dns`. */
export function registerDns(program: Command): void {
  program
    .command("dns")
    .description("serve the cluster DNS: Services and pods of the cluster domain from the store, other names from the upstreams")
    .addOption(storeOption())
    .option("--cluster-domain <domain>", "the cluster's DNS domain", domain, "cluster.local")
    .option("--listen <ip>", "an address to listen on (repeatable)", (v: string, p: string[] = []) => [...p, v])
    .addOption(intOption("--port <port>", "UDP and TCP port", 0, 65535, 53))
    .option("--upstream <ip[:port]>", "a resolver for names outside the cluster domain (repeatable)", collectUpstream)
    .addOption(
      new Option("--pods <mode>", "answer a-b-c-d.<ns>.pod names: any address, running pods only, or never")
        .choices(["insecure", "verified", "disabled"])
        .default("insecure"),
    )
    .option("--dns-service <ns/name>", "the Service in front of the DNS pods", "kube-system/kube-dns")
    .option("--status-file <file>", "where to record the store version the answers come from")
    .option("--metrics-bind-address <host:port>", "serve Prometheus metrics (CoreDNS's names) here; empty: off", ":9153")
    .option("--health-bind-address <host:port>", "serve /health here; empty: off", ":8080")
    .option("--ready-bind-address <host:port>", "serve /ready here (200 once the store was read); empty: off", ":8181")
    .action(
      async (o: {
        store: string;
        clusterDomain: string;
        listen?: string[];
        port: number;
        upstream?: Upstream[];
        pods: PodMode;
        dnsService: string;
        statusFile?: string;
        metricsBindAddress: string;
        healthBindAddress: string;
        readyBindAddress: string;
      }) => {
        const bind = (flag: string, v: string) => {
          try {
            return parseBindAddress(v);
          } catch (e) {
            throw new InvalidArgumentError(`${flag}: ${(e as Error).message}`);
          }
        };
        const metrics = bind("--metrics-bind-address", o.metricsBindAddress);
        const health = bind("--health-bind-address", o.healthBindAddress);
        const ready = bind("--ready-bind-address", o.readyBindAddress);
        const d = new DnsDaemon({
          storeFile: o.store,
          zone: o.clusterDomain,
          listen: o.listen ?? ["0.0.0.0"],
          port: o.port,
          upstreams: o.upstream ?? [],
          podMode: o.pods,
          dnsService: o.dnsService,
          ...(o.statusFile ? { statusFile: o.statusFile } : {}),
          endpoints: { ...(metrics ? { metrics } : {}), ...(health ? { health } : {}), ...(ready ? { ready } : {}) },
          log: logLine,
        });
        await serve(d);
      },
    );
}
