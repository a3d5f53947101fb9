/**
 * The Deployment controller, folded with the ReplicaSet controller: keeps `replicas` pods of the
 * current template, named `<deployment>-<template-hash>-<suffix>` with a `pod-template-hash` label.
 * A changed template replaces the old pods (the Recreate strategy).
 */
import { createHash, randomInt } from "node:crypto";
import type { Deployment, Pod } from "../model/types.js";
import type { Txn } from "../store/types.js";

const SAFE = "bcdfghjklmnpqrstvwxz2456789";

/** templateHash is a short, name-safe hash of a pod template. */
export function templateHash(d: Deployment): string {
  const h = createHash("sha256").update(JSON.stringify(d.spec.template)).digest();
  return Array.from(h.subarray(0, 10), (b) => SAFE[b % SAFE.length]).join("");
}

function suffix(): string {
  return Array.from({ length: 5 }, () => SAFE[randomInt(SAFE.length)]).join("");
}

/** ownedBy says whether a pod belongs to a deployment. */
export function ownedBy(p: Pod, d: Deployment): boolean {
  return (p.metadata.ownerReferences ?? []).some((o) => o.kind === "Deployment" && o.uid === d.metadata.uid);
}

/** reconcileDeployments creates and deletes pods so each deployment has its replicas of its current template. */
export function reconcileDeployments(tx: Txn): void {
  const deployments = tx.list<Deployment>("Deployment");
  const pods = tx.list<Pod>("Pod");
  for (const d of deployments) {
    const hash = templateHash(d);
    const mine = pods.filter((p) => ownedBy(p, d));
    const [current, stale] = partition(mine, (p) => p.metadata.labels?.["pod-template-hash"] === hash);
    for (const p of stale) tx.delete({ kind: "Pod", namespace: p.metadata.namespace, name: p.metadata.name });
    const want = d.spec.replicas ?? 1;
    for (const p of pickForScaleDown(current, current.length - want))
      tx.delete({ kind: "Pod", namespace: p.metadata.namespace, name: p.metadata.name });
    for (let i = current.length; i < want; i++) tx.put(newPod(d, hash, new Set(pods.map((p) => p.metadata.name))));
  }
  // Pods whose deployment is gone are garbage-collected, as the owner-reference GC does.
  const uids = new Set(deployments.map((d) => d.metadata.uid));
  for (const p of pods)
    if (p.metadata.ownerReferences?.some((o) => o.kind === "Deployment" && !uids.has(o.uid)))
      tx.delete({ kind: "Pod", namespace: p.metadata.namespace, name: p.metadata.name });
}

function partition<T>(xs: T[], f: (x: T) => boolean): [T[], T[]] {
  return [xs.filter(f), xs.filter((x) => !f(x))];
}

// Scale down as the ReplicaSet controller ranks pods: unscheduled first, then the node with most of them, newest first.
function pickForScaleDown(pods: Pod[], n: number): Pod[] {
  if (n <= 0) return [];
  const perNode = new Map<string, number>();
  for (const p of pods) perNode.set(p.spec.nodeName ?? "", (perNode.get(p.spec.nodeName ?? "") ?? 0) + 1);
  const rank = (p: Pod) => (p.spec.nodeName ? perNode.get(p.spec.nodeName)! : Number.MAX_SAFE_INTEGER);
  return [...pods].sort((a, b) => rank(b) - rank(a) || Number(b.metadata.resourceVersion) - Number(a.metadata.resourceVersion)).slice(0, n);
}

function newPod(d: Deployment, hash: string, taken: Set<string>): Pod {
  let name = `${d.metadata.name}-${hash}-${suffix()}`;
  while (taken.has(name)) name = `${d.metadata.name}-${hash}-${suffix()}`;
  taken.add(name);
  const tpl = structuredClone(d.spec.template);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...(tpl.metadata ?? {}),
      name,
      namespace: d.metadata.namespace,
      labels: { ...(tpl.metadata?.labels ?? {}), "pod-template-hash": hash },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: d.metadata.name,
          uid: d.metadata.uid!,
          controller: true,
        },
      ],
    },
    spec: tpl.spec,
    status: { phase: "Pending" },
  };
}

/** updateDeploymentStatus records replicas, updated, ready and available counts on each deployment. */
export function updateDeploymentStatus(tx: Txn): void {
  const pods = tx.list<Pod>("Pod");
  for (const d of tx.list<Deployment>("Deployment")) {
    const mine = pods.filter((p) => ownedBy(p, d));
    const ready = mine.filter((p) => (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")).length;
    const hash = templateHash(d);
    const status = {
      observedGeneration: 1,
      replicas: mine.length,
      updatedReplicas: mine.filter((p) => p.metadata.labels?.["pod-template-hash"] === hash).length,
      readyReplicas: ready,
      availableReplicas: ready,
    };
    if (JSON.stringify(d.status) !== JSON.stringify(status)) tx.put({ ...d, status });
  }
}
