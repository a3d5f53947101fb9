/** `podnet lab node add|remove|restart`: nodes joining, leaving and crashing. */
import type { Command } from "commander";
import { addNode, removeNode, restartNode } from "../../lab/nodes.js";
import { openLab } from "./open.js";

/** registerNode adds the `lab node` commands. */
export function registerNode(lab: Command): void {
  const node = lab.command("node").description("add, remove or crash-restart lab nodes");
  node
    .command("add")
    .description("add a node; returns when every node routes to it")
    .action(async (_o, cmd: Command) => {
      const n = await addNode(openLab(cmd));
      process.stdout.write(`node "${n.name}" (${n.ip}) added\n`);
    });
  node
    .command("remove")
    .description("drain and delete a node; its pods move, its routes disappear everywhere")
    .argument("<name>")
    .action(async (name: string, _o, cmd: Command) => {
      await removeNode(openLab(cmd), name);
      process.stdout.write(`node "${name}" removed\n`);
    });
  node
    .command("restart")
    .description("crash a node (namespace and pods vanish uncleanly), bring it back and reconcile")
    .argument("<name>")
    .action(async (name: string, _o, cmd: Command) => {
      await restartNode(openLab(cmd), name);
      process.stdout.write(`node "${name}" restarted\n`);
    });
}
