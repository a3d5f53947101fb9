/**
 * One QoS sync of a node: read its links and tc state, work out what each of its pods gets (bad
 * annotations fall back to what was enforced), plan, apply — a second pass only when the first
 * made the mirror interface, which the second brings up — and report per pod.
 */
import type { NodeKernel, NodeTransaction } from "../dataplane/index.js";
import type { KubeObject, Pod } from "../model/types.js";
import { podQosSpec } from "./annotations.js";
import { effectiveQos, kernelQos } from "./effective.js";
import { type PodQos, planQos } from "./plan.js";

/** PodQosStatus is one pod's report: what is enforced, on which devices, and what was refused. */
export interface PodQosStatus {
  ingress?: number;
  egress?: number;
  mirror: boolean;
  dev?: string;
  ifb?: string;
  errors: string[];
}

/** QosSyncResult is what a sync did: the transactions it applied, per-pod reports, and what is now enforced. */
export interface QosSyncResult {
  applied: NodeTransaction[];
  pods: Record<string, PodQosStatus>;
  enforced: Map<string, PodQos>;
}

/** QosInput is what a sync works from: the node's pods, the namespaces (mirror defaults), what is enforced, the mirror interface. */
export interface QosInput {
  pods: Pod[];
  namespaces: Map<string, KubeObject>;
  enforced: Map<string, PodQos>;
  mirrorIface: string | undefined;
}

/** syncQos makes a node's kernel enforce its pods' annotations. */
export async function syncQos(kernel: NodeKernel, input: QosInput): Promise<QosSyncResult> {
  kernel.tc.prepare?.();
  try {
    return await syncPasses(kernel, input);
  } finally {
    kernel.tc.release?.();
  }
}

async function syncPasses(kernel: NodeKernel, { pods, namespaces, enforced, mirrorIface }: QosInput): Promise<QosSyncResult> {
  const [links, tc] = await Promise.all([kernel.ip.links(), kernel.tc.state()]);
  const byAlias = new Map(links.filter((l) => l.alias).map((l) => [l.alias as string, l.name]));
  const want: PodQos[] = [];
  const errors = new Map<string, string[]>();
  for (const p of pods) {
    const key = `${p.metadata.namespace ?? "default"}/${p.metadata.name}`;
    const previous = enforced.get(key) ?? kernelQos(key, byAlias.get(key), tc);
    const e = effectiveQos(key, podQosSpec(p, namespaces.get(p.metadata.namespace ?? "default")), previous, mirrorIface);
    want.push(e.qos);
    errors.set(key, e.errors);
  }
  let plan = planQos(want, mirrorIface, { links, tc });
  const applied: NodeTransaction[] = [];
  for (let pass = 1; !plan.tx.empty; pass++) {
    await kernel.apply(plan.tx);
    applied.push(plan.tx);
    if (!plan.again || pass === 2) break;
    const [l2, tc2] = await Promise.all([kernel.ip.links(), kernel.tc.state()]);
    plan = planQos(want, mirrorIface, { links: l2, tc: tc2 });
  }
  const pods_: Record<string, PodQosStatus> = {};
  for (const q of want) {
    const { key, ...rates } = q;
    const d = plan.devices.get(key);
    pods_[key] = { ...rates, ...(d ? { dev: d.dev, ...(d.ifb ? { ifb: d.ifb } : {}) } : {}), errors: errors.get(key) ?? [] };
  }
  return { applied, pods: pods_, enforced: new Map(want.filter((q) => plan.devices.has(q.key)).map((q) => [q.key, q])) };
}
