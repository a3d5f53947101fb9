/** `podnet lab apply -f`: kubectl apply for the lab. */
import type { Command } from "commander";
import { applyObjects } from "../../lab/apply.js";
import { filenameOption, recursiveOption } from "../flags.js";
import { CliError, readManifests } from "../manifests.js";
import { openLab } from "./open.js";
import { report } from "./report.js";

/** registerApply adds `lab apply`. */
export function registerApply(lab: Command): void {
  lab
    .command("apply")
    .description("apply Kubernetes manifests (each object on its own; returns once the dataplane has it)")
    .addOption(filenameOption("manifests", true))
    .addOption(recursiveOption())
    .action(async (o: { filename: string[]; recursive?: boolean }, cmd: Command) => {
      const l = openLab(cmd);
      const { objects, errors } = readManifests(o.filename, o.recursive);
      if (objects.length === 0 && errors.length === 0) throw new CliError("error: no objects passed to apply");
      report(await applyObjects(l, objects, errors));
    });
}
