/** Opening the lab the global flags name, and finding a lab's pods and nodes by name. */
import type { Command } from "commander";
import { RealExecutor } from "../../exec/real.js";
import { Lab } from "../../lab/lab.js";
import { externalNetns, LabError, nodeNetns } from "../../lab/layout.js";
import { type Sandbox, SandboxDir } from "../../lab/sandbox.js";

interface Globals {
  lab: string;
  stateDir: string;
}

const opened: Lab[] = [];

/** openLab opens the lab the global flags name (closeLabs closes it when the command ends). */
export function openLab(cmd: Command): Lab {
  const g = cmd.optsWithGlobals() as Globals;
  const lab = new Lab(new RealExecutor(), g.stateDir, g.lab);
  opened.push(lab);
  return lab;
}

/** closeLabs closes the labs this command opened: their etcd clients would keep the process alive. */
export async function closeLabs(): Promise<void> {
  await Promise.all(opened.splice(0).map((l) => l.close()));
}

/** findPodSandbox finds a running pod's sandbox on any node. */
export function findPodSandbox(lab: Lab, ns: string, name: string): Sandbox {
  for (const n of lab.config().nodes) {
    const s = new SandboxDir(lab.paths.sandboxDir(n.name)).list().find((x) => x.namespace === ns && x.name === name);
    if (s) return s;
  }
  throw new LabError(`failed to find pod "${ns}/${name}": no such running pod in lab "${lab.name}"`);
}

/** checkNode fails unless the lab has the node. */
export function checkNode(lab: Lab, node: string): void {
  if (!lab.config().nodes.some((n) => n.name === node)) throw new LabError(`failed to find node "${node}" in lab "${lab.name}"`);
}

/** sourceNetns is where a command "from" a pod, a node (node/NAME) or the external host runs. */
export function sourceNetns(lab: Lab, ns: string, source: string): string {
  if (source === "external") {
    lab.config();
    return externalNetns(lab.name);
  }
  if (source.startsWith("node/")) {
    checkNode(lab, source.slice(5));
    return nodeNetns(lab.name, source.slice(5));
  }
  return findPodSandbox(lab, ns, source).netns;
}
