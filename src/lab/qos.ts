/** The lab runs `podnet qos` on every node, as kube-ovn runs its CNI daemon's QoS and mirroring (see agents.ts). */
import { nodeIdentity } from "./etcdmembers.js";
import { storeLocation } from "./labstore.js";
import type { Pod } from "../model/types.js";
import type { Txn } from "../store/types.js";
import type { QosStatus } from "../qos/daemon.js";
import { readJson } from "../util/jsonfile.js";
import type { AgentKind } from "./agents.js";
import { PODNET_BIN } from "./agents.js";
import type { LabPaths } from "./layout.js";

/** QOS is the QoS and mirroring agent as a node agent. */
export const QOS: AgentKind = {
  name: "qos",
  what: "apply pod bandwidth and mirroring",
  argv: (paths, cfg, node) => [
    process.execPath,
    PODNET_BIN,
    "qos",
    "--node-name",
    node.name,
    "--store",
    storeLocation(paths, cfg, nodeIdentity(node.name)),
    "--status-file",
    paths.qosStatus(node.name),
    ...(cfg.mirror ? ["--enable-mirror", "--mirror-iface", cfg.mirror.iface] : []),
  ],
  statusFile: (paths, node) => paths.qosStatus(node),
  logFile: (paths, node) => paths.qosLog(node),
};

/** podQosStatus is what a pod's node's QoS agent last reported of it. */
export function podQosStatus(paths: LabPaths, pod: Pod) {
  const node = pod.spec.nodeName;
  if (!node) return undefined;
  return readJson<QosStatus>(paths.qosStatus(node))?.pods[`${pod.metadata.namespace}/${pod.metadata.name}`];
}

/** qosWarnings are what the pod's node's QoS agent refused of its annotations. */
export function qosWarnings(paths: LabPaths, pod: Pod): string[] {
  const errs = podQosStatus(paths, pod)?.errors ?? [];
  return errs.map((e) => `Warning: pod ${pod.metadata.namespace}/${pod.metadata.name}: ${e}`);
}

/** QOS_CONDITION is the pod condition that carries the QoS agent's complaints: False with the reasons, absent when all is well. */
export const QOS_CONDITION = "podnet.io/QoS";

/** publishQosConditions writes each pod's QoS condition from its node's agent status (only where it changes). */
export function publishQosConditions(tx: Txn, paths: LabPaths): void {
  for (const p of tx.list<Pod>("Pod")) {
    const errors = podQosStatus(paths, p)?.errors ?? [];
    const others = (p.status?.conditions ?? []).filter((c) => c.type !== QOS_CONDITION);
    const had = (p.status?.conditions ?? []).find((c) => c.type === QOS_CONDITION);
    const message = errors.join("; ");
    if ((had?.message ?? "") === message) continue;
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const cond = errors.length
      ? [{ type: QOS_CONDITION, status: "False" as const, reason: "InvalidAnnotation", message, lastTransitionTime: now }]
      : [];
    tx.put({ ...p, status: { ...(p.status ?? {}), conditions: [...others, ...cond] } });
  }
}

/** qosColumns are `get pods -o wide`'s QoS columns: the limits in force and whether the pod is mirrored. */
export function qosColumns(paths: LabPaths): { headers: string[]; row: (p: Pod) => string[] } {
  const mbit = (r: number | undefined) => (r ? `${+(r / 1e6).toFixed(3)}M` : "-");
  return {
    headers: ["INGRESS", "EGRESS", "MIRROR"],
    row: (p) => {
      const s = podQosStatus(paths, p);
      return [mbit(s?.ingress), mbit(s?.egress), s?.mirror ? "yes" : "-"];
    },
  };
}
