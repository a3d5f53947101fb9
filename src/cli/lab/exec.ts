/**
 * `podnet lab exec POD -- CMD…` and `lab exec-node NODE -- CMD…`: a command in a pod's or node's
 * network namespace (a pod's with its resolv.conf, as `ip netns exec` sets it up).
 */
import type { Command } from "commander";
import type { Lab } from "../../lab/lab.js";
import { nodeNetns } from "../../lab/layout.js";
import { nodeRouting } from "../../lab/network.js";
import { checkNode, findPodSandbox, openLab } from "./open.js";

/** nodeCommand rewrites `birdc …` to talk to the node's own BIRD (every node has its control socket). */
function nodeCommand(lab: Lab, node: string, command: string[]): string[] {
  const [bin, ...rest] = command;
  if (bin !== "birdc" && bin !== "birdcl") return command;
  return [bin, "-s", nodeRouting(lab.exec, lab.paths, lab.config(), node).bird.socket, ...rest];
}

/** registerExec adds `lab exec` and `lab exec-node`. */
export function registerExec(lab: Command): void {
  lab
    .command("exec")
    .description("run a command in a pod's network namespace")
    .argument("<pod>")
    .argument("<command...>")
    .option("-n, --namespace <ns>", "namespace", "default")
    .action(async (pod: string, command: string[], o: { namespace: string }, cmd: Command) => {
      const l = openLab(cmd);
      process.exitCode = await l.exec.interactive({ argv: command, netns: findPodSandbox(l, o.namespace, pod).netns, netnsFiles: true });
    });
  lab
    .command("exec-node")
    .description("run a command in a node's network namespace (birdc talks to that node's BIRD)")
    .argument("<node>")
    .argument("<command...>")
    .action(async (node: string, command: string[], _o, cmd: Command) => {
      const l = openLab(cmd);
      checkNode(l, node);
      process.exitCode = await l.exec.interactive({ argv: nodeCommand(l, node, command), netns: nodeNetns(l.name, node) });
    });
}
