/** `podnet lab status`: the lab's nodes, namespaces and pods. */
import type { Command } from "commander";
import { nodeNetns } from "../../lab/layout.js";
import { SandboxDir } from "../../lab/sandbox.js";
import { processAlive } from "../../util/proc.js";
import { openLab } from "./open.js";

/** registerStatus adds `lab status`. */
export function registerStatus(lab: Command): void {
  lab
    .command("status")
    .description("show the lab's nodes, namespaces and pods")
    .action(async (_o, cmd: Command) => {
      const l = openLab(cmd);
      const cfg = l.config();
      const pods = await l.store.read((tx) => tx.list("Pod"));
      process.stdout.write(`lab "${cfg.name}" (created ${cfg.createdAt}), state in ${l.paths.dir}\n`);
      for (const n of cfg.nodes) {
        const sandboxes = new SandboxDir(l.paths.sandboxDir(n.name)).list();
        const alive = sandboxes.filter((s) => s.pid === undefined || processAlive(s.pid)).length;
        process.stdout.write(`  ${n.name}  ${n.ip}  netns ${nodeNetns(l.name, n.name)}  pods ${sandboxes.length} (${alive} serving)\n`);
      }
      process.stdout.write(`  ${pods.length} pods in the store\n`);
    });
}
