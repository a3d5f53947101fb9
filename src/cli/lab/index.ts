/** `podnet lab …`: the lab's commands, kubectl-shaped where kubectl has an equivalent, one file each. */
import type { Command } from "commander";
import { DEFAULT_STATE_DIR } from "../../lab/layout.js";
import { registerAnnotate } from "./annotate.js";
import { registerApply } from "./apply.js";
import { registerCurl } from "./curl.js";
import { registerDelete } from "./delete.js";
import { registerDescribe } from "./describe.js";
import { registerDoctor } from "./doctor.js";
import { registerDown } from "./down.js";
import { registerExec } from "./exec.js";
import { registerGet } from "./get.js";
import { registerNode } from "./node.js";
import { registerPolicyLog } from "./policylog.js";
import { registerRules } from "./rules.js";
import { registerStatus } from "./status.js";
import { registerSupervise } from "./supervise.js";
import { registerTrace } from "./trace.js";
import { registerUi } from "./ui.js";
import { registerUp } from "./up.js";

/** registerLab adds the `lab` command tree. */
export function registerLab(program: Command): void {
  const lab = program
    .command("lab")
    .description("a multi-node cluster made of network namespaces on this machine")
    .option("--lab <name>", "lab name (letters and digits)", process.env.PODNET_LAB ?? "lab")
    .option("--state-dir <dir>", "where labs keep state", process.env.PODNET_STATE_DIR ?? DEFAULT_STATE_DIR);
  for (const register of [
    registerUp,
    registerDown,
    registerApply,
    registerAnnotate,
    registerDelete,
    registerGet,
    registerDescribe,
    registerExec,
    registerCurl,
    registerRules,
    registerPolicyLog,
    registerDoctor,
    registerTrace,
    registerUi,
    registerStatus,
    registerNode,
    registerSupervise,
  ])
    register(lab);
}
