/**
 * `lab apply` and `lab delete`, with kubectl's semantics: each object on its own (a bad one is
 * reported and skipped, the others still apply), kubectl's output lines, a non-zero result on any
 * error. The dataplane is reconciled before returning.
 */
import { AdmissionError, admitWithAction } from "../cluster/index.js";
import { type KubeObject, kindInfo, objectRef, type Pod, qualifiedKind } from "../model/index.js";
import type { Txn } from "../store/types.js";
import { checkApplicable, type Lab } from "./lab.js";
import { LabError } from "./layout.js";
import { qosWarnings } from "./qos.js";

/** Outcome is what a command prints: result lines and error lines. */
export interface Outcome {
  lines: string[];
  errors: string[];
  /** warnings are printed on stderr without failing the command (kubectl's "Warning: …"). */
  warnings?: string[];
}

/** resourceName renders `deployment.apps/web` as kubectl does. */
export function resourceName(obj: KubeObject): string {
  return `${qualifiedKind(obj)}/${obj.metadata.name}`;
}

/** applyObjects applies validated objects, each on its own, and reconciles the lab; errors are reported beside them. */
export async function applyObjects(lab: Lab, objects: KubeObject[], errors: string[] = []): Promise<Outcome> {
  return lab.locked(async () => {
    const cfg = lab.config();
    const out: Outcome = { lines: [], errors: [...errors] };
    await lab.store.update((tx) => {
      for (const obj of objects) {
        try {
          checkApplicable(obj);
          const { object, action } = admitWithAction(tx, obj, cfg.cluster);
          out.lines.push(`${resourceName(object)} ${action}`);
        } catch (e) {
          if (!(e instanceof AdmissionError || e instanceof LabError)) throw e;
          out.errors.push(`error: ${e.message}`);
        }
      }
    });
    // Reconcile even when nothing changed: this also finishes what an interrupted command left.
    out.errors.push(...(await lab.reconcile()).failures.map((f) => `error: ${f}`));
    const pods = objects.filter((o) => o.kind === "Pod").map((o) => ({ ...o, metadata: { namespace: "default", ...o.metadata } }));
    const stored = await lab.store.read((tx) =>
      pods.flatMap((p) => tx.get<Pod>({ kind: "Pod", namespace: p.metadata.namespace, name: p.metadata.name }) ?? []),
    );
    out.warnings = stored.flatMap((p) => qosWarnings(lab.paths, p));
    return out;
  });
}

function deleteOne(tx: Txn, kind: string, namespace: string | undefined, name: string): boolean {
  if (!tx.delete({ kind, namespace, name })) return false;
  if (kind === "Namespace")
    for (const info of ["Pod", "Service", "Deployment", "EndpointSlice", "NetworkPolicy"])
      for (const o of tx.list(info, name)) tx.delete({ kind: info, namespace: name, name: o.metadata.name });
  return true;
}

/** Target names objects to delete: by manifest or by kind and names. */
export type Target = {
  kind: string;
  namespace: string | undefined;
  name: string;
  ref: string;
  resource: string;
};

/** targetOf is the object a manifest's object names, for deletion. */
export function targetOf(o: KubeObject): Target {
  const namespace = kindInfo(o.kind)?.namespaced ? (o.metadata.namespace ?? "default") : undefined;
  return { kind: o.kind, namespace, name: o.metadata.name, ref: objectRef(o), resource: resourceName(o) };
}

/** deleteTargets deletes objects (namespaces with everything in them) and reconciles the lab. */
export async function deleteTargets(lab: Lab, targets: Target[], errors: string[] = []): Promise<Outcome> {
  return lab.locked(async () => {
    lab.config();
    const out: Outcome = { lines: [], errors };
    await lab.store.update((tx) => {
      for (const t of targets) {
        if (deleteOne(tx, t.kind, t.namespace, t.name)) out.lines.push(`${t.resource} deleted`);
        else out.errors.push(`Error from server (NotFound): ${t.ref} not found`);
      }
    });
    out.errors.push(...(await lab.reconcile()).failures.map((f) => `error: ${f}`));
    return out;
  });
}
