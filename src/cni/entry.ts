/**
 * The plugin's entry point, bundled by esbuild into dist/podnet-cni.cjs: one file instead of a tree
 * of modules halves the plugin's start (VERSION: 60 → 30 ms here), which a runtime pays per call,
 * and CommonJS skips the ES module loader (another ~5 ms). `podnet-cni agent [--socket PATH]`
 * runs the node agent from the same bundle (ready in tens of milliseconds, not the CLI's ~180).
 */
import { parseArgs } from "node:util";
import { AGENT_SOCKET, runAgent } from "./agent.js";
import { main } from "./main.js";

const USAGE = `Usage: podnet-cni agent [--socket PATH]

Serve CNI calls from the podnet-cni executable on a unix socket; run it in the node's network
namespace. The executable finds the socket in PODNET_CNI_SOCKET, else in the network config's
"agentSocket", else at ${AGENT_SOCKET}.

Options:
  --socket PATH  socket path (default: ${AGENT_SOCKET})
  -h, --help     show this help

Without "agent", podnet-cni is a CNI plugin: a runtime runs it with CNI_COMMAND and the other
CNI_* variables set and the network configuration on stdin.
`;

function agent(args: string[]): void {
  let values: { socket?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { socket: { type: "string" }, help: { type: "boolean", short: "h" } } }));
  } catch (e) {
    process.stderr.write(`podnet-cni agent: ${(e as Error).message} (see --help)\n`);
    process.exitCode = 2;
    return;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  runAgent(values.socket).catch((e: Error) => {
    process.stderr.write(`podnet-cni agent: ${e.message}\n`);
    process.exitCode = 1;
  });
}

if (process.argv[2] === "agent") agent(process.argv.slice(3));
else if (process.argv[2] === "--help" || process.argv[2] === "-h") process.stdout.write(USAGE);
else void main();
