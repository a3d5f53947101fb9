/** The `podnet` command line. */
import { Command } from "commander";
import { registerCni } from "./cni.js";
import { registerLab } from "./lab.js";
import { registerProxy } from "./proxy.js";
import { registerRouting } from "./routing.js";

/** main parses argv and runs the command; errors print one clear line and exit non-zero. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command("podnet")
    .description("Kubernetes pod and service networking")
    .showHelpAfterError();
  registerLab(program);
  registerCni(program);
  const render = program.command("render").description("print what podnet would program, touching nothing");
  registerProxy(program, render);
  registerRouting(render);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
