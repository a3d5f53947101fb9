/**
 * `lab annotate`, kubectl annotate's semantics: KEY=VALUE sets (refused for a key that holds
 * another value unless overwrite), KEY- removes; the object goes through validation and admission
 * as an apply would, and the lab reconciles before returning, so node agents (QoS, mirroring)
 * have acted on the change. Agents' complaints about a pod's annotations come back as warnings.
 */
import { admitWithAction } from "../cluster/index.js";
import { type KubeObject, type Pod, qualifiedKind, resolveResource, validateObject } from "../model/index.js";
import type { Outcome } from "./apply.js";
import type { Lab } from "./lab.js";
import { LabError } from "./layout.js";
import { qosWarnings } from "./qos.js";

/** AnnotationChange is one KEY=VALUE (value) or KEY- (value undefined). */
export interface AnnotationChange {
  key: string;
  value: string | undefined;
}

/** parseAnnotationArgs reads kubectl's KEY=VALUE and KEY- arguments. */
export function parseAnnotationArgs(args: string[]): AnnotationChange[] {
  if (args.length === 0) throw new LabError("error: at least one annotation update is required");
  return args.map((a) => {
    if (a.endsWith("-") && !a.includes("=")) return { key: a.slice(0, -1), value: undefined };
    const i = a.indexOf("=");
    if (i <= 0) throw new LabError(`error: invalid annotation format: ${a}`);
    return { key: a.slice(0, i), value: a.slice(i + 1) };
  });
}

function changed(obj: KubeObject, changes: AnnotationChange[], overwrite: boolean): KubeObject {
  const annotations = { ...(obj.metadata.annotations ?? {}) };
  for (const c of changes) {
    const old = annotations[c.key];
    if (c.value === undefined) delete annotations[c.key];
    else if (old !== undefined && old !== c.value && !overwrite)
      throw new LabError(
        `error: --overwrite is false but found the following declared annotation(s): '${c.key}' already has a value (${old})`,
      );
    else annotations[c.key] = c.value;
  }
  return validateObject({ ...obj, metadata: { ...obj.metadata, annotations } });
}

/** annotate changes one object's annotations and reconciles the lab. */
export async function annotate(
  lab: Lab,
  target: { resource: string; name: string; namespace: string },
  changes: AnnotationChange[],
  overwrite: boolean,
): Promise<Outcome> {
  const info = resolveResource(target.resource);
  if (!info) throw new LabError(`error: the server doesn't have a resource type "${target.resource}"`);
  const namespace = info.namespaced ? target.namespace : undefined;
  return lab.locked(async () => {
    const cfg = lab.config();
    const out: Outcome = { lines: [], errors: [] };
    const stored = await lab.store.update((tx) => {
      const obj = tx.get({ kind: info.kind, namespace, name: target.name });
      if (!obj) throw new LabError(`Error from server (NotFound): ${info.plural} "${target.name}" not found`);
      return admitWithAction(tx, changed(obj, changes, overwrite), cfg.cluster).object;
    });
    out.lines.push(`${qualifiedKind(stored)}/${stored.metadata.name} annotated`);
    out.errors.push(...(await lab.reconcile()).failures.map((f) => `error: ${f}`));
    if (stored.kind === "Pod") out.warnings = qosWarnings(lab.paths, stored as Pod);
    return out;
  });
}
