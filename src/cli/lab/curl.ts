/** `podnet lab curl SOURCE URL…`: the lab's built-in client, run in a pod, a node or the external host. */
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { durationOption, intOption } from "../flags.js";
import { CliError } from "../manifests.js";
import { openLab, sourceNetns } from "./open.js";

const CLIENT = fileURLToPath(new URL("../../lab/echo/client.js", import.meta.url));

/** checkUrl refuses what the client cannot fetch: not a URL, another scheme, no port for udp. */
function checkUrl(raw: string): void {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError(`error: invalid URL "${raw}": use http://HOST[:PORT]/PATH or udp://HOST:PORT`);
  }
  if (u.protocol !== "http:" && u.protocol !== "udp:")
    throw new CliError(`error: unsupported scheme "${u.protocol}" in "${raw}": use http:// or udp://`);
  if (u.protocol === "udp:" && !u.port) throw new CliError(`error: "${raw}" needs a port: udp://HOST:PORT`);
}

interface CurlFlags {
  namespace: string;
  timeout: number;
  data?: string;
  count?: number;
  sport?: number;
  interval?: number;
}

/** registerCurl adds `lab curl`. */
export function registerCurl(lab: Command): void {
  lab
    .command("curl")
    .description("fetch a URL from inside a pod, a node (node/NAME) or the external host (external)")
    .argument("<source>", "pod name, node/NAME or external")
    .argument("<urls...>", "one URL, or several to fetch each once (one line per URL)")
    .option("-n, --namespace <ns>", "namespace", "default")
    .addOption(durationOption("--timeout <duration>", "give up after this long", "5s"))
    .option("-d, --data <body>", "send a body (POST) or datagram")
    .addOption(intOption("-c, --count <n>", "make n requests, one answer per line", 1, 100_000))
    .addOption(intOption("--sport <port>", "UDP source port", 1, 65_535))
    .addOption(durationOption("--interval <duration>", "with --count: start the requests this far apart (a steady client loop)", "0s"))
    .action(async (source: string, urls: string[], o: CurlFlags, cmd: Command) => {
      for (const u of urls) checkUrl(u);
      const l = openLab(cmd);
      const argv = [
        process.execPath,
        CLIENT,
        `--timeout=${o.timeout}`,
        ...(o.data ? [`--data=${o.data}`] : []),
        ...(o.count !== undefined ? [`--count=${o.count}`] : []),
        ...(o.sport !== undefined ? [`--sport=${o.sport}`] : []),
        ...(o.interval ? [`--interval=${o.interval}`] : []),
        "--",
        ...urls,
      ];
      process.exitCode = await l.exec.interactive({
        argv,
        netns: sourceNetns(l, o.namespace, source),
        netnsFiles: true,
        env: { NODE_EXTRA_CA_CERTS: undefined },
      });
    });
}
