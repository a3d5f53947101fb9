/**
 * The plugin's entry point, bundled by esbuild into dist/podnet-cni.cjs: one file instead of a tree
 * of modules halves the plugin's start (VERSION: 60 → 30 ms here), which a runtime pays per call,
 * and CommonJS skips the ES module loader (another ~5 ms). `podnet-cni agent [--socket PATH]`
 * runs the node agent from the same bundle (ready in tens of milliseconds, not the CLI's ~180).
 */
import { parseArgs } from "node:util";
import { runAgent } from "./agent.js";
import { main } from "./main.js";

if (process.argv[2] === "agent") {
  const { values } = parseArgs({ args: process.argv.slice(3), options: { socket: { type: "string" } } });
  runAgent(values.socket).catch((e: Error) => {
    process.stderr.write(`podnet-cni agent: ${e.message}\n`);
    process.exitCode = 1;
  });
} else void main();
