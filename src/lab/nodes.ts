/**
 * Nodes joining, leaving and crashing, as a cluster sees them. Adding a node builds its namespace,
 * registers it (it gets a pod CIDR) and reconciles, so every other node learns its routes. Removing
 * one stops its pods through CNI DEL, deletes its Node and pods (Deployments replace them
 * elsewhere) and its namespace, then reconciles so no route, neighbour or BGP session to it stays.
 * On etcd, a node added gets its certificate and etcd user first, and a node removed loses them.
 * Restarting one simulates a crash: its namespace and its pods' namespaces vanish without any
 * cleanup, and the next reconcile has to converge from there.
 */
import { rmSync } from "node:fs";
import type { Pod } from "../model/types.js";
import { buildNode, destroyNode } from "./bootstrap.js";
import { type LabConfig, writeLabConfig } from "./config.js";
import { admitNode, revokeNode } from "./etcdauth.js";
import { syncPods } from "./kubelet.js";
import type { Lab } from "./lab.js";
import { externalNetns, LabError, nodeNetns } from "./layout.js";
import { deleteNetns } from "../iproute/netns.js";
import { markIptablesFlavour } from "./proxy.js";
import { type LabNode, labNode, MAX_NODES } from "./topology.js";

function find(cfg: LabConfig, name: string): LabNode {
  const n = cfg.nodes.find((x) => x.name === name);
  if (!n) throw new LabError(`node "${name}" not found in lab "${cfg.name}" (nodes: ${cfg.nodes.map((x) => x.name).join(", ")})`);
  return n;
}

async function startNode(lab: Lab, cfg: LabConfig, n: LabNode): Promise<void> {
  await buildNode(lab.exec, lab.name, n);
  await markIptablesFlavour(lab.exec, nodeNetns(lab.name, n.name), cfg.iptables);
}

/** addNode adds the next free node number and returns once every node routes to it. */
export function addNode(lab: Lab): Promise<LabNode> {
  return lab.locked(async () => {
    const cfg = lab.config();
    let i = 1;
    while (cfg.nodes.some((n) => n.index === i)) i++;
    if (i > MAX_NODES) throw new LabError(`failed to add a node to lab "${lab.name}": it has ${MAX_NODES} nodes`);
    const n = labNode(i, cfg.ipFamily);
    try {
      if (cfg.datastore) await admitNode(lab.exec, lab.paths, cfg, n.name);
      await startNode(lab, cfg, n);
      cfg.nodes.push(n);
      writeLabConfig(lab.paths.config, cfg);
      await lab.registerNodes(cfg);
      await lab.reconcile();
      return n;
    } catch (e) {
      throw new LabError(`failed to add node "${n.name}": ${(e as Error).message}`, { cause: e });
    }
  });
}

/** removeNode drains and deletes a node, then reconciles the rest of the lab. */
export function removeNode(lab: Lab, name: string): Promise<void> {
  return lab.locked(async () => {
    const cfg = lab.config();
    const n = find(cfg, name);
    if (cfg.nodes.length === 1) throw new LabError(`failed to remove node "${name}": it is the lab's last node`);
    await syncPods(lab.nodeRuntime(cfg, name), []);
    await lab.store.update((tx) => {
      for (const p of tx.list<Pod>("Pod"))
        if (p.spec.nodeName === name) tx.delete({ kind: "Pod", namespace: p.metadata.namespace, name: p.metadata.name });
      tx.delete({ kind: "Node", name });
    });
    await destroyNode(lab.exec, lab.name, n);
    if (cfg.datastore) await revokeNode(lab.exec, lab.paths, cfg, name);
    rmSync(lab.paths.nodeDir(name), { recursive: true, force: true });
    cfg.nodes = cfg.nodes.filter((x) => x.name !== name);
    writeLabConfig(lab.paths.config, cfg);
    await lab.reconcile();
  });
}

/**
 * restartNode crashes a node (its namespace and pods vanish uncleanly), brings it back and
 * returns once the lab has reconciled and the node answers from every other node and the
 * external host. Its uplink keeps its MAC (derived from its name), so neighbour entries elsewhere
 * stay right.
 */
export function restartNode(lab: Lab, name: string): Promise<void> {
  return lab.locked(async () => {
    const cfg = lab.config();
    const n = find(cfg, name);
    const pods = lab.nodeRuntime(cfg, name).sandboxes.list();
    await Promise.all(pods.map((s) => deleteNetns(lab.exec, s.netns)));
    await destroyNode(lab.exec, lab.name, n);
    await startNode(lab, cfg, n);
    await lab.reconcile(); // restarts the node's proxy, pods, routes and BIRD
    await waitReachable(lab, cfg, n);
  });
}

/** waitReachable pings a node's addresses from every other node and the external host until all answer. */
async function waitReachable(lab: Lab, cfg: LabConfig, n: LabNode, timeoutMs = 30_000): Promise<void> {
  const sources = [externalNetns(lab.name), ...cfg.nodes.filter((x) => x.name !== n.name).map((x) => nodeNetns(lab.name, x.name))];
  const targets = [n.ip, ...(n.ip6 ? [n.ip6] : [])];
  const deadline = Date.now() + timeoutMs;
  let missing = sources.flatMap((netns) => targets.map((ip) => ({ netns, ip })));
  while (missing.length > 0) {
    const answered = await Promise.all(
      missing.map(async (m) => (await lab.exec.run({ argv: ["ping", "-c1", "-W1", m.ip], netns: m.netns, okCodes: [0, 1, 2] })).code === 0),
    );
    missing = missing.filter((_, i) => !answered[i]);
    if (missing.length === 0) return;
    if (Date.now() > deadline)
      throw new LabError(
        `failed to restart node "${n.name}": no answer from ${missing.map((m) => `${m.ip} in ${m.netns}`).join(", ")} after ${timeoutMs} ms`,
      );
  }
}
