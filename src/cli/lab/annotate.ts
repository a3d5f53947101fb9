/** `podnet lab annotate KIND NAME KEY=VALUE… KEY-`: kubectl annotate for the lab. */
import type { Command } from "commander";
import { annotate, parseAnnotationArgs } from "../../lab/annotate.js";
import { openLab } from "./open.js";
import { report } from "./report.js";

/** registerAnnotate adds `lab annotate`. */
export function registerAnnotate(lab: Command): void {
  lab
    .command("annotate")
    .description("set (KEY=VALUE) or remove (KEY-) annotations of an object; returns once the nodes applied them")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("--overwrite", "replace annotations that hold another value", false)
    .argument("<kind>")
    .argument("<name>")
    .argument("<updates...>")
    .action(async (kind: string, name: string, updates: string[], o: { namespace: string; overwrite: boolean }, cmd: Command) => {
      const l = openLab(cmd);
      report(await annotate(l, { resource: kind, name, namespace: o.namespace }, parseAnnotationArgs(updates), o.overwrite));
    });
}
