/** `podnet lab down`: remove every namespace, process and file of the lab. */
import type { Command } from "commander";
import { openLab } from "./open.js";

/** registerDown adds `lab down`. */
export function registerDown(lab: Command): void {
  lab
    .command("down")
    .description("remove every namespace, process and file of the lab (safe to repeat)")
    .action(async (_o, cmd: Command) => {
      const removed = await openLab(cmd).down();
      process.stdout.write(`lab removed (${removed.length} namespaces)\n`);
    });
}
