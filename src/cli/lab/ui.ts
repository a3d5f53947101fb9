/**
 * `podnet lab ui [--listen 127.0.0.1:8088]`: the lab's web view — topology, Services, traces,
 * doctor and policies — served on loopback unless told otherwise, until Ctrl-C.
 */
import type { Command } from "commander";
import { LabUiSource } from "../../lab/ui.js";
import { serveUi } from "../../ui/serve.js";
import { untilSignal } from "../ui.js";
import { openLab } from "./open.js";

/** registerUi adds `lab ui`. */
export function registerUi(lab: Command): void {
  lab
    .command("ui")
    .description("serve the lab's web view: topology, Services, traces, doctor and policies (read-only)")
    .option("--listen <host:port>", "where to serve it (port 0: any free port)", "127.0.0.1:8088")
    .action(async (o: { listen: string }, cmd: Command) => {
      const source = new LabUiSource(openLab(cmd), (line) => process.stderr.write(`${line}\n`));
      source.start();
      const server = await serveUi(source, o.listen);
      process.stdout.write(`podnet ui: serving ${server.url}\n`);
      untilSignal(source, server);
    });
}
