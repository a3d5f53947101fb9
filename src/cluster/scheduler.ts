/**
 * A simple scheduler: binds each unscheduled pod to a ready node that satisfies its nodeSelector,
 * holds its static IP and has its host ports free (kube-scheduler's NodePorts filter), spreading
 * pods of the same owner first (like PodTopologySpread by hostname), then all pods. A pod that fits
 * nowhere stays Pending with kube-scheduler's kind of message, counting the nodes per reason.
 */
import { matchesMap } from "../model/selector.js";
import { staticIPs } from "../model/staticip.js";
import type { Node, Pod, Subnet } from "../model/types.js";
import type { Txn } from "../store/types.js";
import { nodeReady } from "./ready.js";
import { type HostPort, hostPorts, NODE_PORTS_REASON, portsFree } from "./hostports.js";
import { addressHome } from "./subnets.js";

export { nodeReady };

function ownerKey(p: Pod): string {
  const o = p.metadata.ownerReferences?.[0];
  return o ? `${o.kind}/${o.uid}` : `Pod/${p.metadata.namespace}/${p.metadata.name}`;
}

/** schedulePods assigns spec.nodeName to pending pods; pods that fit nowhere get a status message. */
export function schedulePods(tx: Txn): void {
  const nodes = tx.list<Node>("Node").filter(nodeReady);
  const pods = tx.list<Pod>("Pod");
  const total = new Map<string, number>();
  const byOwner = new Map<string, number>();
  const ports = new Map<string, HostPort[]>();
  const usePorts = (node: string, p: Pod) => ports.set(node, [...(ports.get(node) ?? []), ...hostPorts(p)]);
  for (const p of pods) {
    if (!p.spec.nodeName) continue;
    if (p.status?.phase !== "Failed" && p.status?.phase !== "Succeeded") usePorts(p.spec.nodeName, p);
    total.set(p.spec.nodeName, (total.get(p.spec.nodeName) ?? 0) + 1);
    const k = `${ownerKey(p)}@${p.spec.nodeName}`;
    byOwner.set(k, (byOwner.get(k) ?? 0) + 1);
  }
  const subnets = tx.list<Subnet>("Subnet");
  for (const p of pods) {
    if (p.spec.nodeName) continue;
    const home = addressHome(p, nodes, subnets);
    const reasons = new Map<string, number>();
    const fits = nodes.filter((n) => {
      const why = !matchesMap(p.spec.nodeSelector ?? {}, n.metadata.labels)
        ? "node(s) didn't match Pod's node affinity/selector"
        : home !== undefined && n.metadata.name !== home
          ? "node(s) don't hold the pod's static IP"
          : !portsFree(p, ports.get(n.metadata.name) ?? [])
            ? NODE_PORTS_REASON
            : undefined;
      if (why) reasons.set(why, (reasons.get(why) ?? 0) + 1);
      return why === undefined;
    });
    const score = (n: Node) => [byOwner.get(`${ownerKey(p)}@${n.metadata.name}`) ?? 0, total.get(n.metadata.name) ?? 0];
    const best = fits.sort((a, b) => {
      const [sa, sb] = [score(a), score(b)];
      return sa[0]! - sb[0]! || sa[1]! - sb[1]! || a.metadata.name.localeCompare(b.metadata.name);
    })[0];
    if (!best) {
      const why = [...reasons].map(([r, n]) => `${n} ${r}`).join(", ");
      p.status = {
        ...(p.status ?? {}),
        phase: "Pending",
        message:
          home === null
            ? `0/${nodes.length} nodes are available: no node's pod CIDR or Subnet holds the static IP ${staticIPs(p)[0]}`
            : `0/${nodes.length} nodes are available: ${why || "no node matches the pod"}.`,
      };
      tx.put(p);
      continue;
    }
    const name = best.metadata.name;
    p.spec.nodeName = name;
    usePorts(name, p);
    total.set(name, (total.get(name) ?? 0) + 1);
    byOwner.set(`${ownerKey(p)}@${name}`, (byOwner.get(`${ownerKey(p)}@${name}`) ?? 0) + 1);
    tx.put(p);
  }
}
