/** `podnet lab get RESOURCE[,RESOURCE…] [NAME]`: kubectl get for the lab. */
import type { Command } from "commander";
import { LabError } from "../../lab/layout.js";
import { qosColumns } from "../../lab/qos.js";
import { type KubeObject, resolveResource } from "../../model/index.js";
import { type OutputFlag, outputOption } from "../flags.js";
import { printObjects } from "../printers.js";
import { openLab } from "./open.js";

/** registerGet adds `lab get`. */
export function registerGet(lab: Command): void {
  lab
    .command("get")
    .description("list objects, as kubectl get (several resources comma-separated)")
    .argument("<resources>", "a resource (pods, svc, …) or several: svc,endpointslices")
    .argument("[name]")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("-A, --all-namespaces", "all namespaces")
    .addOption(outputOption())
    .action(
      async (
        resources: string,
        name: string | undefined,
        o: { namespace: string; allNamespaces?: boolean; output?: OutputFlag },
        cmd: Command,
      ) => {
        const l = openLab(cmd);
        l.config();
        const infos = resources.split(",").map((r) => {
          const info = resolveResource(r);
          if (!info) throw new LabError(`error: the server doesn't have a resource type "${r}"`);
          return info;
        });
        const found: { kind: string; objs: KubeObject[] }[] = [];
        for (const info of infos) {
          const ns = info.namespaced && !o.allNamespaces ? o.namespace : undefined;
          let objs = await l.store.read((tx) => tx.list(info.kind, ns));
          if (name) objs = objs.filter((x) => x.metadata.name === name);
          if (name && objs.length === 0) throw new LabError(`Error from server (NotFound): ${info.plural} "${name}" not found`);
          found.push({ kind: info.kind, objs });
        }
        const all = !!o.allNamespaces;
        if (found.length === 1) {
          const [f] = found as [(typeof found)[0]];
          const extra = f.kind === "Pod" ? (qosColumns(l.paths) as { headers: string[]; row: (o: KubeObject) => string[] }) : undefined;
          process.stdout.write(`${printObjects(f.kind, f.objs, o.output, all, !!name, false, extra)}\n`);
          return;
        }
        if (o.output === "json" || o.output === "yaml") {
          process.stdout.write(
            `${printObjects(
              "List",
              found.flatMap((f) => f.objs),
              o.output,
              all,
              false,
            )}\n`,
          );
          return;
        }
        const nonEmpty = found.filter((f) => f.objs.length > 0);
        if (nonEmpty.length === 0) process.stdout.write("No resources found\n");
        const parts = nonEmpty.map((f) => printObjects(f.kind, f.objs, o.output, all, false, true));
        process.stdout.write(`${parts.join(o.output === "name" ? "\n" : "\n\n")}\n`);
      },
    );
}
