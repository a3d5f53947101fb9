/** `podnet lab get RESOURCE [NAME]`: kubectl get for the lab. */
import type { Command } from "commander";
import { LabError } from "../../lab/layout.js";
import { resolveResource } from "../../model/index.js";
import { type OutputFlag, outputOption } from "../flags.js";
import { printObjects } from "../printers.js";
import { openLab } from "./open.js";

/** registerGet adds `lab get`. */
export function registerGet(lab: Command): void {
  lab
    .command("get")
    .description("list objects, as kubectl get")
    .argument("<resource>")
    .argument("[name]")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("-A, --all-namespaces", "all namespaces")
    .addOption(outputOption())
    .action(
      async (
        resource: string,
        name: string | undefined,
        o: { namespace: string; allNamespaces?: boolean; output?: OutputFlag },
        cmd: Command,
      ) => {
        const l = openLab(cmd);
        l.config();
        const info = resolveResource(resource);
        if (!info) throw new LabError(`error: the server doesn't have a resource type "${resource}"`);
        const ns = info.namespaced && !o.allNamespaces ? o.namespace : undefined;
        let objs = await l.store.read((tx) => tx.list(info.kind, ns));
        if (name) {
          objs = objs.filter((x) => x.metadata.name === name);
          if (objs.length === 0) throw new LabError(`Error from server (NotFound): ${info.plural} "${name}" not found`);
        }
        process.stdout.write(`${printObjects(info.kind, objs, o.output, !!o.allNamespaces, !!name)}\n`);
      },
    );
}
