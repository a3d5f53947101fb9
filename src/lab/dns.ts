/**
 * The lab's cluster DNS, as kubeadm sets it up: a `kube-system/kube-dns` Service at 10.96.0.10
 * (and fd00:10:96::a in dual stack) in front of two `podnet dns` pods (a Deployment, like
 * CoreDNS's), whose upstream is a resolver on the external host serving a small test zone
 * (dnsmasq, for `example.test`). Pods of dnsPolicy ClusterFirst get a resolv.conf naming the
 * Service, with the search path and ndots:5 a kubelet writes; `ip netns exec` (the executor's
 * netnsFiles) puts it in place of /etc/resolv.conf for whatever runs in the pod.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DnsStatus } from "../dns/daemon.js";
import type { Executor } from "../exec/types.js";
import type { Deployment, Pod, Service } from "../model/types.js";
import { readJson } from "../util/jsonfile.js";
import { pidLooksLike } from "../util/proc.js";
import { PODNET_BIN } from "./agents.js";
import { externalNetns, LabError, netnsPrefix } from "./layout.js";
import type { Sandbox } from "./sandbox.js";
import { type IpFamilyMode, UPSTREAM_DNS } from "./topology.js";

/** CLUSTER_DOMAIN is the lab's DNS domain. */
export const CLUSTER_DOMAIN = "cluster.local";
/** DNS_SERVICE_IPS are kube-dns's ClusterIPs: IPv4, and IPv6 in a dual-stack lab. */
export const DNS_SERVICE_IPS = { 4: "10.96.0.10", 6: "fd00:10:96::a" } as const;
/** TEST_ZONE is what the upstream resolver answers: names of the "internet" the lab's pods can look up. */
export const TEST_ZONE = { domain: "example.test", hosts: { www: ["203.0.113.80", "2001:db8:203::80"], api: ["203.0.113.81"] } };
/** DNS_IMAGE is the image name the lab's kubelet runs as `podnet dns`. */
export const DNS_IMAGE = "podnet/dns";

/** dnsServers are the nameservers a lab's pods use: kube-dns's ClusterIPs. */
export function dnsServers(cfg: { ipFamily?: IpFamilyMode }): string[] {
  return cfg.ipFamily === "dual" ? [DNS_SERVICE_IPS[4], DNS_SERVICE_IPS[6]] : [DNS_SERVICE_IPS[4]];
}

/** dnsObjects are the kube-dns Service and the Deployment of its pods. */
export function dnsObjects(family: IpFamilyMode): [Service, Deployment] {
  const dual = family === "dual";
  const labels = { "k8s-app": "kube-dns" };
  const service: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kube-dns", namespace: "kube-system", labels: { ...labels, "kubernetes.io/name": "CoreDNS" } },
    spec: {
      selector: labels,
      clusterIP: DNS_SERVICE_IPS[4],
      clusterIPs: dual ? [DNS_SERVICE_IPS[4], DNS_SERVICE_IPS[6]] : [DNS_SERVICE_IPS[4]],
      ...(dual ? { ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "RequireDualStack" } : {}),
      ports: [
        { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
        { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
        { name: "metrics", port: 9153, protocol: "TCP", targetPort: 9153 },
      ],
    },
  };
  const upstreams = dual ? [UPSTREAM_DNS[4], `[${UPSTREAM_DNS[6]}]`] : [UPSTREAM_DNS[4]];
  const deployment: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "coredns", namespace: "kube-system", labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          dnsPolicy: "Default",
          containers: [
            {
              name: "dns",
              image: DNS_IMAGE,
              args: [`--cluster-domain=${CLUSTER_DOMAIN}`, ...upstreams.map((u) => `--upstream=${u}`)],
              ports: [
                { name: "dns", containerPort: 53, protocol: "UDP" },
                { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
                { name: "metrics", containerPort: 9153, protocol: "TCP" },
              ],
            },
          ],
        },
      },
    },
  };
  return [service, deployment];
}

/** usesClusterDns says whether a pod resolves through the cluster DNS (dnsPolicy ClusterFirst, the default). */
export function usesClusterDns(pod: Pod): boolean {
  const policy = pod.spec.dnsPolicy ?? "ClusterFirst";
  return policy === "ClusterFirst" || (policy === "ClusterFirstWithHostNet" && pod.spec.hostNetwork === true);
}

/** resolvConf is the resolv.conf a kubelet writes for a ClusterFirst pod of namespace ns. */
export function resolvConf(ns: string, nameservers: string[]): string {
  const search = [`${ns}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN];
  return `${nameservers.map((n) => `nameserver ${n}`).join("\n")}\nsearch ${search.join(" ")}\noptions ndots:5\n`;
}

const ETC_NETNS = "/etc/netns";

/** writePodResolv puts a pod's resolv.conf where `ip netns exec` finds it. */
export function writePodResolv(netns: string, text: string): void {
  mkdirSync(join(ETC_NETNS, netns), { recursive: true });
  writeFileSync(join(ETC_NETNS, netns, "resolv.conf"), text);
}

/** removePodResolv removes a pod's files under /etc/netns. */
export function removePodResolv(netns: string): void {
  rmSync(join(ETC_NETNS, netns), { recursive: true, force: true });
}

/** removeLabResolvs removes what the lab's pods left under /etc/netns (after a crash, say). */
export function removeLabResolvs(lab: string): void {
  let names: string[];
  try {
    names = readdirSync(ETC_NETNS);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(netnsPrefix(lab))) removePodResolv(n);
}

/**
 * dnsmasqArgv is a dnsmasq that answers only what it is given (no resolv.conf, no /etc/hosts, no
 * upstream), on the listed addresses, forking once its sockets are open (a bad start fails the
 * command) and leaving its PID in pidFile.
 */
export function dnsmasqArgv(listen: string[], pidFile: string, ttl: number, extra: string[]): string[] {
  return [
    "dnsmasq",
    "--conf-file=/dev/null",
    "--no-resolv",
    "--no-hosts",
    "--bind-interfaces",
    ...listen.map((a) => `--listen-address=${a}`),
    `--pid-file=${pidFile}`,
    "--user=root",
    `--local-ttl=${ttl}`,
    ...extra,
  ];
}

/**
 * startUpstreamResolver runs dnsmasq on the external host, authoritative for the test zone
 * (every other name NXDOMAIN: the lab has no internet); lab down stops it with everything else in
 * the lab's namespaces.
 */
export async function startUpstreamResolver(exec: Executor, lab: string, dir: string, family: IpFamilyMode): Promise<void> {
  const listen = family === "dual" ? [UPSTREAM_DNS[4], UPSTREAM_DNS[6]] : [UPSTREAM_DNS[4]];
  const records = Object.entries(TEST_ZONE.hosts).map(
    ([h, ips]) => `--host-record=${h}.${TEST_ZONE.domain},${ips.filter((ip) => family === "dual" || !ip.includes(":")).join(",")}`,
  );
  const zone = [`--log-facility=${join(dir, "dnsmasq.log")}`, `--local=/${TEST_ZONE.domain}/`, "--address=/#/", ...records];
  await exec.run({
    argv: dnsmasqArgv(listen, join(dir, "dnsmasq.pid"), 60, [...zone, `--txt-record=${TEST_ZONE.domain},podnet lab`]),
    netns: externalNetns(lab),
    timeoutMs: 15_000,
  });
}

/** waitForDnsPods waits until every running cluster DNS pod answers from store version rv, or fails naming the pod. */
export async function waitForDnsPods(sandboxes: Sandbox[], rv: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const s of sandboxes.filter((x) => x.statusFile && !x.creating)) {
    for (;;) {
      const st = readJson<DnsStatus>(s.statusFile as string);
      if (st && st.resourceVersion >= rv) break;
      const dead = s.pid !== undefined && !pidLooksLike(s.pid, PODNET_BIN);
      if (dead || Date.now() > deadline)
        throw new LabError(
          `failed to update the cluster DNS in pod "${s.namespace}/${s.name}": ${dead ? "its process exited" : "timed out"}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
