/**
 * The `podnet` command line. Every failure prints one line on stderr and exits non-zero: commander's
 * own parse errors get a pointer to --help, podnet's errors their message with any continuation
 * lines folded in; `--debug` adds the stack.
 */
import { closeLabs } from "./lab/open.js";
import { Command } from "commander";
import { registerCni } from "./cni.js";
import { registerLab } from "./lab/index.js";
import { registerPolicy } from "./policy.js";
import { registerAgent } from "./agent.js";
import { registerController } from "./controller.js";
import { registerProxy } from "./proxy.js";
import { registerDns } from "./dns.js";
import { registerQos } from "./qos.js";
import { registerRender } from "./render.js";
import { registerUi } from "./ui.js";

/** oneLine folds a message's lines into one. */
export function oneLine(msg: string): string {
  return msg
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .join("; ");
}

/** program builds the command tree. */
export function program(): Command {
  const p = new Command("podnet")
    .description("Kubernetes pod and service networking: CNI plugin, IPAM, service proxy, routing, and a lab of network namespaces")
    .option("--debug", "print stack traces with errors")
    .configureOutput({ outputError: (str, write) => write(`${oneLine(str)} (see --help)\n`) })
    .exitOverride();
  registerLab(p);
  registerCni(p);
  registerProxy(p);
  registerController(p);
  registerAgent(p);
  registerPolicy(p);
  registerQos(p);
  registerDns(p);
  registerRender(p);
  registerUi(p);
  return p;
}

/** main parses argv and runs the command. */
export async function main(argv: string[]): Promise<void> {
  const beforeCommand = argv.slice(0, argv.includes("--") ? argv.indexOf("--") : argv.length);
  const debug = beforeCommand.includes("--debug");
  try {
    await program().parseAsync(argv);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "commander.helpDisplayed" || code === "commander.version" || code === "commander.help") return;
    if (typeof code === "string" && code.startsWith("commander.")) {
      process.exitCode = (e as { exitCode?: number }).exitCode || 1; // commander already printed its one line
      return;
    }
    process.stderr.write(`${debug ? ((e as Error).stack ?? String(e)) : oneLine((e as Error).message ?? String(e))}\n`);
    process.exitCode = 1;
  } finally {
    await closeLabs();
  }
}
