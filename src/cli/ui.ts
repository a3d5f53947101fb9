/**
 * `podnet ui --store FILE`: the web view of any cluster store — topology, Services and their
 * fan-out, live — without a lab's tools (trace, doctor and policies need `podnet lab ui`).
 */
import { type Command, Option } from "commander";
import { StoreUiSource } from "../ui/source.js";
import { serveUi, type UiServer } from "../ui/serve.js";
import { storeOption } from "./flags.js";

/** untilSignal stops the source and server on SIGINT or SIGTERM. */
export function untilSignal(source: { stop(): void }, server: UiServer): void {
  const stop = () => {
    source.stop();
    void server.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

/** registerUi adds `podnet ui`. */
export function registerUi(program: Command): void {
  program
    .command("ui")
    .description("serve the web view of a cluster store: topology, Services and their fan-out (read-only)")
    .addOption(storeOption())
    .option("--listen <host:port>", "where to serve it (port 0: any free port)", "127.0.0.1:8088")
    .addOption(
      new Option("--routing-mode <mode>", "how the nodes are joined, for drawing")
        .choices(["host-gw", "vxlan", "bgp", "ipip"])
        .default("host-gw"),
    )
    .action(async (o: { store: string; listen: string; routingMode: string }) => {
      const source = new StoreUiSource(
        o.store,
        () => ({ routing: o.routingMode, external: { name: "external", ips: [] } }),
        (l) => process.stderr.write(`${l}\n`),
      );
      source.start();
      const server = await serveUi(source, o.listen);
      process.stdout.write(`podnet ui: serving ${server.url}\n`);
      untilSignal(source, server);
    });
}
