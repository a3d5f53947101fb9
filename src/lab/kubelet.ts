/**
 * The lab's kubelet for one node: makes the node's running sandboxes match the pods bound to it.
 * A pod is a network namespace wired by calling the node's CNI config exactly as a runtime does,
 * then the echo workload started inside it. A sandbox's record is written before anything of it
 * is made and marked done at the end (a ClusterFirst pod's resolv.conf is written before its
 * workload starts), so a start that failed — or a kubelet killed halfway — is
 * undone (CNI DEL, namespace removed) by the next sync; after each sync a CNI GC with the node's
 * sandboxes releases whatever no sandbox owns.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FORBID_NETNS_ENV } from "../cni/datapath.js";
import { type Attachment, addNetworkList, type ConfList, delNetworkList, gcPlugin, loadConfList } from "../cni/runtime.js";
import type { Executor } from "../exec/types.js";
import { staticIPs, staticMac } from "../model/staticip.js";
import type { Pod } from "../model/types.js";
import { containerIdFor, podNetns } from "./layout.js";
import { createNetns, deleteNetns } from "../iproute/netns.js";
import { pidLooksLike, stopPids } from "../util/proc.js";
import type { Sandbox, SandboxDir } from "./sandbox.js";
import { PODNET_BIN } from "./agents.js";
import { DNS_IMAGE, removePodResolv, resolvConf, usesClusterDns, writePodResolv } from "./dns.js";

/** ECHO_SERVER is the lab workload: pods run it, and so does the external host. */
export const ECHO_SERVER = fileURLToPath(new URL("./echo/server.js", import.meta.url));

/** NodeRuntime is what a kubelet needs to know about its node. */
export interface NodeRuntime {
  exec: Executor;
  lab: string;
  node: string;
  nodeNetns: string;
  cniConfFile: string;
  cniPath: string[];
  sandboxes: SandboxDir;
  rootNetnsInode: string;
  /** storeFile is the cluster store, which `podnet dns` pods read as CoreDNS reads the API. */
  storeFile: string;
  /** dnsServers are the cluster DNS's addresses when the lab runs one: ClusterFirst pods get a resolv.conf naming them. */
  dnsServers?: string[];
}

function attachment(s: Pick<Sandbox, "containerId" | "netns" | "namespace" | "name" | "capabilityArgs">): Attachment {
  return {
    ...(s.capabilityArgs ? { capabilityArgs: s.capabilityArgs } : {}),
    containerId: s.containerId,
    netns: `/var/run/netns/${s.netns}`,
    ifname: "eth0",
    args: {
      IgnoreUnknown: "1",
      K8S_POD_NAMESPACE: s.namespace,
      K8S_POD_NAME: s.name,
      K8S_POD_INFRA_CONTAINER_ID: s.containerId,
    },
  };
}

function runtimeOpts(rt: NodeRuntime) {
  return {
    exec: rt.exec,
    hostNetns: rt.nodeNetns,
    cniPath: rt.cniPath,
    env: { [FORBID_NETNS_ENV]: rt.rootNetnsInode, NODE_EXTRA_CA_CERTS: undefined },
  };
}

function declaredPorts(pod: Pod, proto: string): number[] {
  return pod.spec.containers.flatMap((c) => (c.ports ?? []).filter((p) => (p.protocol ?? "TCP") === proto).map((p) => p.containerPort));
}

/** podCapabilities are the CNI capability args a kubelet derives from a pod: static IP/MAC and host ports (bandwidth is the QoS agent's). */
export function podCapabilities(pod: Pod): Record<string, unknown> {
  const ips = staticIPs(pod);
  const mac = staticMac(pod);
  const portMappings = pod.spec.containers.flatMap((c) =>
    (c.ports ?? [])
      .filter((p) => p.hostPort)
      .map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: (p.protocol ?? "TCP").toLowerCase() })),
  );
  return {
    ...(ips.length ? { ips } : {}),
    ...(mac ? { mac } : {}),
    ...(portMappings.length ? { portMappings } : {}),
  };
}

/** startPod creates a pod's sandbox and returns its record; on failure nothing of it is left. */
export async function startPod(rt: NodeRuntime, pod: Pod): Promise<Sandbox> {
  const uid = pod.metadata.uid!;
  const containerId = containerIdFor(uid);
  const s: Sandbox = {
    uid,
    namespace: pod.metadata.namespace!,
    name: pod.metadata.name,
    node: rt.node,
    containerId,
    netns: podNetns(rt.lab, containerId),
    ips: [],
    tcp: declaredPorts(pod, "TCP"),
    udp: declaredPorts(pod, "UDP"),
    capabilityArgs: podCapabilities(pod),
  };
  const conf = loadConfList(rt.cniConfFile);
  rt.sandboxes.save({ ...s, creating: true });
  try {
    await createNetns(rt.exec, s.netns);
    const result = await addNetworkList(runtimeOpts(rt), conf, attachment(s));
    s.ips = (result.ips ?? []).map((i) => i.address.split("/")[0]!);
    if (rt.dnsServers && usesClusterDns(pod)) writePodResolv(s.netns, resolvConf(s.namespace, rt.dnsServers));
    const argv = workloadArgv(rt, pod, s);
    if (argv) s.pid = await startWorkload(rt, s, argv);
    rt.sandboxes.save(s);
    return s;
  } catch (e) {
    await stopPod(rt, { ...s, creating: true }, conf).catch(() => {});
    throw new Error(`failed to start pod "${s.namespace}/${s.name}" on node "${rt.node}": ${(e as Error).message}`, { cause: e });
  }
}

/** WORKLOAD_MARKERS tell a pod's process from a recycled PID: the echo server's script, or podnet's executable. */
const WORKLOAD_MARKERS = [ECHO_SERVER, PODNET_BIN];
const isWorkload = (pid: number) => WORKLOAD_MARKERS.some((m) => pidLooksLike(pid, m));

/** workloadArgv is what a pod runs: the cluster DNS for the podnet/dns image, else the echo server when it declares ports. */
function workloadArgv(rt: NodeRuntime, pod: Pod, s: Sandbox): string[] | undefined {
  const dns = pod.spec.containers.find((c) => c.image === DNS_IMAGE);
  if (dns) {
    s.statusFile = rt.sandboxes.statusFile(s.uid);
    const listen = s.ips.map((ip) => `--listen=${ip}`);
    return [PODNET_BIN, "dns", `--store=${rt.storeFile}`, `--status-file=${s.statusFile}`, ...listen, ...(dns.args ?? [])];
  }
  if (s.tcp.length + s.udp.length === 0) return undefined;
  return [
    process.execPath,
    ECHO_SERVER,
    `--pod=${s.namespace}/${s.name}`,
    `--node=${rt.node}`,
    `--ip=${s.ips.join(",")}`,
    `--tcp=${s.tcp.join(",")}`,
    `--udp=${s.udp.join(",")}`,
  ];
}

async function startWorkload(rt: NodeRuntime, s: Sandbox, argv: string[]): Promise<number> {
  return rt.exec.daemon({
    argv,
    netns: s.netns,
    netnsFiles: true,
    env: { NODE_EXTRA_CA_CERTS: undefined },
    logFile: rt.sandboxes.logFile(s.uid),
    readyLine: "ready",
    timeoutMs: 15_000,
  });
}

/** stopPod stops a sandbox's workload, runs CNI DEL and removes its namespace and record (also of a half-made one). */
export async function stopPod(rt: NodeRuntime, s: Sandbox, conf?: ConfList): Promise<void> {
  if (s.pid && isWorkload(s.pid)) await stopPids([s.pid]);
  await delNetworkList(runtimeOpts(rt), conf ?? loadConfList(rt.cniConfFile), attachment(s));
  await deleteNetns(rt.exec, s.netns); // stops whatever still runs inside (a workload of a killed start)
  removePodResolv(s.netns);
  rt.sandboxes.remove(s.uid);
}

/** sandboxHealthy is false once a sandbox's namespace or workload is gone (a crashed node), so it is recreated. */
export function sandboxHealthy(s: Sandbox): boolean {
  return !s.creating && existsSync(`/var/run/netns/${s.netns}`) && (!s.pid || isWorkload(s.pid));
}

/** syncPods stops sandboxes of pods that are gone and starts the missing ones; returns started and failures. */
export async function syncPods(rt: NodeRuntime, pods: Pod[]): Promise<{ started: Sandbox[]; failed: { pod: Pod; error: Error }[] }> {
  const want = new Map(pods.map((p) => [p.metadata.uid!, p]));
  const have: Sandbox[] = [];
  for (const s of rt.sandboxes.list()) {
    if (want.has(s.uid) && sandboxHealthy(s)) have.push(s);
    else await stopPod(rt, s);
  }
  const haveIds = new Set(have.map((s) => s.uid));
  const todo = pods.filter((p) => !haveIds.has(p.metadata.uid!));
  const started: Sandbox[] = [];
  const failed: { pod: Pod; error: Error }[] = [];
  await inParallel(todo, 4, async (p) => {
    try {
      started.push(await startPod(rt, p));
    } catch (e) {
      failed.push({ pod: p, error: e as Error });
    }
  });
  // No ADD is in flight now: what the node's podnet-cni holds for no sandbox (a killed start's
  // address or veth, say) goes.
  const valid = rt.sandboxes.list().map((s) => ({ containerId: s.containerId, ifname: "eth0" }));
  await gcPlugin(runtimeOpts(rt), loadConfList(rt.cniConfFile), "podnet-cni", valid);
  return { started, failed };
}

/** inParallel runs fn over items with at most `limit` at a time. */
export async function inParallel<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
