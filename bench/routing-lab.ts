/**
 * What the routing benchmarks share: a podnet lab driven through the CLI, the pod manifest, and
 * iperf3 runs summarised as medians with a cross-node / same-node ratio.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RealExecutor } from "../src/exec/real.js";
import { trackDir, trackNetns } from "./interrupt.js";

/** exec runs the benchmarks commands. */
export const exec = new RealExecutor();
const PODNET = fileURLToPath(new URL("../../bin/podnet", import.meta.url));
/** SECONDS is the length of one iperf3 run. */
export const SECONDS = 5;

/** pod is a Pod pinned to a node. */
export const pod = (name: string, node: string) => `---
apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: bench}}
spec:
  nodeName: ${node}
  containers: [{name: echo, ports: [{containerPort: 8080}]}]
`;

/** median of a sample. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** BenchLab is a lab with its own name and state dir, removed on Ctrl-C. */
export class BenchLab {
  readonly name = `b${randomBytes(3).toString("hex")}`;
  readonly netns = trackNetns(`pn-${this.name}-`);
  readonly stateDir = trackDir(mkdtempSync(join(tmpdir(), "podnet-bench-")));
  async cli(args: string[], stdin?: string): Promise<string> {
    const [sub, ...rest] = args;
    const r = await exec.run({
      argv: [PODNET, "lab", sub as string, "--lab", this.name, "--state-dir", this.stateDir, ...rest],
      netns: null,
      timeoutMs: 120_000,
      ...(stdin ? { stdin } : {}),
    });
    return r.stdout;
  }
  async podIP(name: string): Promise<string> {
    return (JSON.parse(await this.cli(["get", "pod", name, "-o", "json"])) as { status: { podIP: string } }).status.podIP;
  }
  async down(): Promise<void> {
    await this.cli(["down"]).catch(() => {});
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/** Client runs an iperf3 client command in the client pod and returns its stdout. */
export type Client = (argv: string[]) => Promise<string>;

/** iperf runs one TCP test to `ip` and returns Gbit/s received. */
export async function iperf(client: Client, ip: string): Promise<number> {
  const out = await client(["iperf3", "-c", ip, "-t", String(SECONDS), "-J"]);
  const j = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } };
  return j.end.sum_received.bits_per_second / 1e9;
}

/** summary is a set of runs as the routing benchmarks print them: every run, the medians, cross / same. */
export function summary(same: number[], cross: number[]) {
  const s = median(same);
  const c = median(cross);
  return {
    sameNodeGbps: same.map((x) => +x.toFixed(2)),
    crossNodeGbps: cross.map((x) => +x.toFixed(2)),
    medianSameNodeGbps: +s.toFixed(2),
    medianCrossNodeGbps: +c.toFixed(2),
    crossToSameRatio: +(c / s).toFixed(3),
  };
}

/** throughput alternates same-node and cross-node runs and summarises them. */
export async function throughput(client: Client, same: string, remote: string, runs: number): Promise<ReturnType<typeof summary>> {
  const sameNode: number[] = [];
  const crossNode: number[] = [];
  for (let i = 0; i < runs; i++) {
    sameNode.push(await iperf(client, same));
    crossNode.push(await iperf(client, remote));
  }
  return summary(sameNode, crossNode);
}
