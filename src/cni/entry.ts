/**
 * The plugin's entry point, bundled by esbuild into dist/podnet-cni.mjs: one file instead of a tree
 * of modules halves the plugin's start (VERSION: 60 → 30 ms here), which a runtime pays per call.
 */
import { main } from "./main.js";

await main();
