/**
 * One pass of the lab's control loop, run by every command that changes the lab and finishing
 * whatever an interrupted one left: the controllers run (on etcd: the controller leader has acted
 * on the command's writes), pods being deleted leave their Services
 * (the proxies drop them) before they stop, each node's kubelet admits its pods (host
 * ports, as kubelet's admission), undoes half-made sandboxes and syncs the rest, pod namespaces no
 * sandbox owns are removed, pod status and EndpointSlices are published, and the network and the
 * node agents (proxy, policy) catch up before the command returns.
 */
import { reconcileEndpointSlices, runControllers, updateDeploymentStatus } from "../cluster/index.js";
import { admitHostPorts, NODE_PORTS_REJECTED } from "../cluster/hostports.js";
import { deleteNetns, listNetns } from "../iproute/index.js";
import type { Pod } from "../model/types.js";
import type { Txn } from "../store/types.js";
import { AGENT } from "./agent.js";
import { awaitControllers } from "./controllers.js";
import { ensureCniAgents } from "./cniagent.js";
import { syncPods } from "./kubelet.js";
import { waitForDnsPods } from "./dns.js";
import type { LabConfig } from "./config.js";
import type { Executor } from "../exec/types.js";
import type { LabStore } from "./labstore.js";
import type { NodeRuntime } from "./kubelet.js";
import { type LabPaths, netnsPrefix } from "./layout.js";
import { ensureAgents, waitForAgents } from "./agents.js";
import { POLICY } from "./policy.js";
import { PROXY } from "./proxy.js";
import { publishQosConditions, QOS } from "./qos.js";
import type { Sandbox } from "./sandbox.js";

/** LabHandle is what a pass needs of the lab. */
export interface LabHandle {
  readonly exec: Executor;
  readonly name: string;
  readonly paths: LabPaths;
  readonly store: LabStore;
  config(): LabConfig;
  writeCniConfigs(cfg: LabConfig): Promise<void>;
  nodeRuntime(cfg: LabConfig, node: string): NodeRuntime;
  syncNetwork(cfg: LabConfig): Promise<void>;
}

const done = (p: Pod) => p.status?.phase === "Failed" || p.status?.phase === "Succeeded";

/** NodeResult is what one node's kubelet did in a pass. */
interface NodeResult {
  hostIP: string;
  sandboxes: Sandbox[];
  failed: { pod: Pod; error: Error }[];
  rejected: Pod[];
}

/** reconcileLab runs one pass of the loop; it returns the pods that failed to start. */
export async function reconcileLab(lab: LabHandle): Promise<{ failures: string[] }> {
  const cfg = lab.config();
  const pods = await controllersPass(lab, cfg);
  await drainLeaving(lab, cfg, pods);
  await lab.writeCniConfigs(cfg);
  // The pods' CNI calls go to the node's CNI agent, or to the node agent that hosts the socket.
  if (cfg.nodeAgent) await ensureAgents(lab.exec, lab.paths, cfg, AGENT);
  else await ensureCniAgents(lab.exec, lab.paths, cfg);
  const results: NodeResult[] = await Promise.all(
    cfg.nodes.map(async (n) => {
      const rt = lab.nodeRuntime(cfg, n.name);
      const running = new Set(
        rt.sandboxes
          .list()
          .filter((s) => !s.creating)
          .map((s) => s.uid),
      );
      const mine = pods.filter((p) => p.spec.nodeName === n.name && !done(p));
      const { admitted, rejected } = admitHostPorts(mine, running);
      const r = await syncPods(rt, admitted);
      return { hostIP: n.ip, sandboxes: rt.sandboxes.list(), failed: r.failed, rejected };
    }),
  );
  await removeStrayPodNetns(
    lab,
    results.flatMap((r) => r.sandboxes.map((s) => s.netns)),
  );
  await lab.store.update((tx) => {
    for (const r of results) publishNode(tx, r);
    if (!cfg.datastore) {
      reconcileEndpointSlices(tx);
      updateDeploymentStatus(tx);
    }
  });
  await awaitControllers(lab, cfg);
  await lab.syncNetwork(cfg);
  // The policy agent after the proxy: both put their jumps first in FORWARD, and policy's must win.
  for (const k of [PROXY, POLICY, QOS]) await ensureAgents(lab.exec, lab.paths, cfg, k);
  const rv = await lab.store.version();
  await Promise.all([PROXY, POLICY, QOS].map((k) => waitForAgents(lab.paths, cfg, k, rv)));
  await waitForDnsPods(
    results.flatMap((r) => r.sandboxes),
    rv,
  );
  await lab.store.update((tx) => publishQosConditions(tx, lab.paths));
  return { failures: results.flatMap((r) => r.failed.map((f) => f.error.message)) };
}

/**
 * controllersPass brings the controllers up to the command's writes and returns the pods: on the
 * embedded store they run in the command's own transaction; on etcd only the controller leader
 * writes what they write, and the command waits until it has.
 */
async function controllersPass(lab: LabHandle, cfg: LabConfig): Promise<Pod[]> {
  if (cfg.datastore) {
    await awaitControllers(lab, cfg);
    return lab.store.read((tx) => tx.list<Pod>("Pod"));
  }
  return lab.store.update((tx) => {
    runControllers(tx, cfg.cluster);
    reconcileEndpointSlices(tx);
    return tx.list<Pod>("Pod");
  });
}

/**
 * drainLeaving lets pods about to be stopped leave their Services first, as a deleted pod does
 * while it terminates: the EndpointSlices no longer hold them (updated above), and once every
 * proxy has synced — dropping them and flushing their UDP flows — no new connection or query
 * reaches a pod that is going away.
 */
async function drainLeaving(lab: LabHandle, cfg: LabConfig, pods: Pod[]): Promise<void> {
  const want = new Set(pods.filter((p) => !done(p)).map((p) => p.metadata.uid));
  const leaving = cfg.nodes.some((n) =>
    lab
      .nodeRuntime(cfg, n.name)
      .sandboxes.list()
      .some((s) => !s.creating && !want.has(s.uid)),
  );
  if (!leaving) return;
  await ensureAgents(lab.exec, lab.paths, cfg, PROXY);
  await waitForAgents(lab.paths, cfg, PROXY, await lab.store.version());
}

/** removeStrayPodNetns deletes pod namespaces of the lab that no sandbox record names (what a killed start of an older version left). */
async function removeStrayPodNetns(lab: LabHandle, known: string[]): Promise<void> {
  const keep = new Set(known);
  const stray = (await listNetns(lab.exec, `${netnsPrefix(lab.name)}pod-`)).filter((n) => !keep.has(n));
  await Promise.all(stray.map((n) => deleteNetns(lab.exec, n)));
}

function update(tx: Txn, ref: Pick<Pod, "metadata">, fn: (p: Pod) => Pod | undefined): void {
  const p = tx.get<Pod>({ kind: "Pod", namespace: ref.metadata.namespace, name: ref.metadata.name });
  const next = p && fn(p);
  if (next) tx.put(next);
}

/** publishNode writes one node's pod status: running sandboxes, failed starts, pods refused for their host ports. */
function publishNode(tx: Txn, r: NodeResult): void {
  for (const s of r.sandboxes.filter((x) => !x.creating))
    update(tx, { metadata: { name: s.name, namespace: s.namespace } }, (p) => running(p, s.ips, r.hostIP));
  for (const f of r.failed)
    update(tx, f.pod, (p) => ({ ...p, status: { ...(p.status ?? {}), phase: "Pending", message: f.error.message } }));
  for (const x of r.rejected)
    update(tx, x, (p) => ({ ...p, status: { ...(p.status ?? {}), phase: "Failed", reason: "NodePorts", message: NODE_PORTS_REJECTED } }));
}

/** running is a pod's status once its sandbox serves (undefined when it already says so). */
function running(p: Pod, ips: string[], hostIP: string): Pod | undefined {
  if (p.status?.phase === "Running" && p.status.podIP === ips[0]) return undefined;
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  return {
    ...p,
    status: {
      phase: "Running",
      hostIP,
      hostIPs: [{ ip: hostIP }],
      podIP: ips[0],
      podIPs: ips.map((ip) => ({ ip })),
      startTime: now,
      conditions: ["Initialized", "Ready", "ContainersReady", "PodScheduled"].map((type) => ({
        type,
        status: "True" as const,
        lastTransitionTime: now,
      })),
    },
  };
}
