/** `podnet lab delete -f FILE` / `lab delete KIND NAME…`: kubectl delete for the lab. */
import type { Command } from "commander";
import { deleteTargets, type Target, targetOf } from "../../lab/apply.js";
import { LabError } from "../../lab/layout.js";
import { type KubeObject, objectRef, resolveResource } from "../../model/index.js";
import { filenameOption, recursiveOption } from "../flags.js";
import { readManifests } from "../manifests.js";
import { openLab } from "./open.js";
import { report } from "./report.js";

function byName(kind: string, names: string[], namespace: string): Target[] {
  const info = resolveResource(kind);
  if (!info) throw new LabError(`error: the server doesn't have a resource type "${kind}"`);
  return names.map((name) => {
    const ns = info.namespaced ? namespace : undefined;
    const obj = { kind: info.kind, metadata: { name, namespace: ns } } as KubeObject;
    return { kind: info.kind, namespace: ns, name, ref: objectRef(obj), resource: `${info.kind.toLowerCase()}/${name}` };
  });
}

/** registerDelete adds `lab delete`. */
export function registerDelete(lab: Command): void {
  lab
    .command("delete")
    .description("delete objects named by manifests or by kind and name")
    .addOption(filenameOption("manifests naming the objects"))
    .addOption(recursiveOption())
    .option("-n, --namespace <ns>", "namespace", "default")
    .argument("[kind]")
    .argument("[names...]")
    .action(
      async (
        kind: string | undefined,
        names: string[],
        o: { filename?: string[]; recursive?: boolean; namespace: string },
        cmd: Command,
      ) => {
        const l = openLab(cmd);
        const read = o.filename ? readManifests(o.filename, o.recursive, true) : { objects: [], errors: [] };
        const targets = [...read.objects.map(targetOf), ...(kind ? byName(kind, names, o.namespace) : [])];
        if (targets.length === 0 && read.errors.length === 0) throw new LabError("error: give -f FILE or KIND NAME");
        report(await deleteTargets(l, targets, read.errors));
      },
    );
}
