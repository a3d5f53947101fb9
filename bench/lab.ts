/**
 * `npm run bench -- lab`: time `lab up` for 3 nodes, applying 18 pods (6 per node) until every pod
 * serves, and `lab down`, through the real CLI. Prints JSON with every run and the medians.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RealExecutor } from "../src/exec/real.js";
import { trackDir, trackNetns } from "./interrupt.js";

const exec = new RealExecutor();
/** PODNET is the podnet executable the benchmarks run. */
export const PODNET = fileURLToPath(new URL("../../bin/podnet", import.meta.url));

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata: {name: bench}
spec:
  replicas: 18
  selector: {matchLabels: {app: bench}}
  template:
    metadata: {labels: {app: bench}}
    spec: {containers: [{name: echo, ports: [{containerPort: 8080}, {containerPort: 5353, protocol: UDP}]}]}
`;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** benchLab measures up (topology), apply (18 pods serving), their sum, and down. */
export async function benchLab(runs = 3): Promise<Record<string, unknown>> {
  const results: { upMs: number; applyMs: number; upWithPodsMs: number; downMs: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const lab = `b${randomBytes(3).toString("hex")}`;
    trackNetns(`pn-${lab}-`);
    const stateDir = trackDir(mkdtempSync(join(tmpdir(), "podnet-bench-")));
    const cli = (args: string[], stdin?: string) =>
      exec.run({
        argv: [PODNET, "lab", ...args, "--lab", lab, "--state-dir", stateDir],
        netns: null,
        ...(stdin ? { stdin } : {}),
      });
    try {
      const upMs = await timed(() => cli(["up", "--nodes", "3"]));
      const applyMs = await timed(() => cli(["apply", "-f", "-"], MANIFEST));
      const pods = JSON.parse((await cli(["get", "pods", "-o", "json"])).stdout).items as {
        status: { phase: string };
      }[];
      if (pods.length !== 18 || pods.some((p) => p.status.phase !== "Running")) throw new Error("not all 18 pods are running");
      const downMs = await timed(() => cli(["down"]));
      results.push({ upMs, applyMs, upWithPodsMs: upMs + applyMs, downMs });
    } finally {
      await cli(["down"]).catch(() => {});
      rmSync(stateDir, { recursive: true, force: true });
    }
  }
  const pick = (k: keyof (typeof results)[number]) => Math.round(median(results.map((r) => r[k])));
  return {
    bench: "lab",
    shape: "3 nodes x 6 pods (18 pods, each wired by podnet-cni and serving HTTP+UDP)",
    runs: results.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v)]))),
    median: {
      upMs: pick("upMs"),
      applyMs: pick("applyMs"),
      upWithPodsMs: pick("upWithPodsMs"),
      downMs: pick("downMs"),
    },
    goal: { upWithPodsMs: 5000 },
  };
}
