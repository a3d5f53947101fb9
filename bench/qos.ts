/**
 * `npm run bench -- qos [changes]`: on a 2-node lab with mirroring on, (1) the time from an
 * annotation change reaching the store to the new limit in force in the node's kernel (the tc
 * root of the pod's ifb showing the new rate, polled), over `changes` changes, plus `lab annotate`'s
 * own end-to-end time; (2) the throughput of pod a → pod b (iperf3, other node) with pod a
 * unmirrored and mirrored, interleaved runs, medians.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RealExecutor } from "../src/exec/real.js";
import { Lab } from "../src/lab/lab.js";
import { nodeNetns } from "../src/lab/layout.js";
import { podQosStatus } from "../src/lab/qos.js";
import type { Pod } from "../src/model/types.js";
import { trackDir, trackNetns } from "./interrupt.js";

const exec = new RealExecutor();
const PODNET = fileURLToPath(new URL("../../bin/podnet", import.meta.url));
const PODS = `
apiVersion: v1
kind: Pod
metadata: {name: a, annotations: {ovn.kubernetes.io/egress_rate: "100"}}
spec: {nodeName: node-1, containers: [{name: e}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec: {nodeName: node-2, containers: [{name: e}]}
`;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0;
const r1 = (x: number) => Math.round(x * 10) / 10;

/** benchQos runs the benchmark. */
export async function benchQos(changes = 20, runs = 5): Promise<Record<string, unknown>> {
  const name = `q${randomBytes(3).toString("hex")}`;
  trackNetns(`pn-${name}-`);
  const stateDir = trackDir(mkdtempSync(join(tmpdir(), "podnet-bench-")));
  const cli = async (args: string[], stdin?: string) =>
    (await exec.run({ argv: [PODNET, "lab", "--lab", name, "--state-dir", stateDir, ...args], netns: null, ...(stdin ? { stdin } : {}) }))
      .stdout;
  const lab = new Lab(exec, stateDir, name);
  try {
    await cli(["up", "--nodes", "2", "--mirror"]);
    await cli(["apply", "-f", "-"], PODS);
    const pod = await lab.store.read((tx) => tx.get<Pod>({ kind: "Pod", namespace: "default", name: "a" }));
    const ifb = pod && podQosStatus(lab.paths, pod)?.ifb;
    if (!ifb) throw new Error("pod a has no egress shaper");
    const rateNow = async () => {
      const r = await exec.run({ argv: ["tc", "-j", "qdisc", "show", "dev", ifb], netns: nodeNetns(name, "node-1") });
      return ((JSON.parse(r.stdout) as { root?: boolean; options?: { rate?: number } }[]).find((q) => q.root)?.options?.rate ?? 0) * 8;
    };
    const inForce: number[] = [];
    for (let i = 0; i < changes; i++) {
      const mbit = 20 + i;
      const t0 = performance.now();
      await lab.store.update((tx) => {
        const p = tx.get<Pod>({ kind: "Pod", namespace: "default", name: "a" });
        if (p) tx.put({ ...p, metadata: { ...p.metadata, annotations: { "ovn.kubernetes.io/egress_rate": String(mbit) } } });
      });
      while ((await rateNow()) !== mbit * 1e6)
        if (performance.now() - t0 > 10_000) throw new Error(`limit ${mbit} not in force after 10 s`);
      inForce.push(performance.now() - t0);
    }
    const annotateMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await cli(["annotate", "pod", "a", `ovn.kubernetes.io/egress_rate=${60 + i}`, "--overwrite"]);
      annotateMs.push(performance.now() - t0);
    }
    await cli(["annotate", "pod", "a", "ovn.kubernetes.io/egress_rate-"]);
    const iperf = async () => {
      const server = cli(["exec", "b", "--", "iperf3", "-s", "-1", "--idle-timeout", "20"]).catch((e: Error) => e);
      await new Promise((r) => setTimeout(r, 300));
      const out = await cli(["exec", "a", "--", "iperf3", "-c", "10.244.1.2", "-t", "4", "-J"]);
      const s = await server;
      if (s instanceof Error) throw s;
      return (JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second / 1e6;
    };
    const plain: number[] = [];
    const mirrored: number[] = [];
    for (let i = 0; i < runs; i++) {
      plain.push(await iperf());
      await cli(["annotate", "pod", "a", "ovn.kubernetes.io/mirror=true"]);
      mirrored.push(await iperf());
      await cli(["annotate", "pod", "a", "ovn.kubernetes.io/mirror-"]);
    }
    const [p, m] = [pct(plain, 0.5), pct(mirrored, 0.5)];
    return {
      annotationToLimitMs: { p50: r1(pct(inForce, 0.5)), p90: r1(pct(inForce, 0.9)), max: r1(Math.max(...inForce)), changes, goalP50: 200 },
      labAnnotateCommandMs: { p50: r1(pct(annotateMs, 0.5)), note: "the CLI end to end: node start, store write, every node agent synced" },
      mirroring: {
        unmirroredMbitMedian: r1(p),
        mirroredMbitMedian: r1(m),
        costPercent: r1((1 - m / p) * 100),
        goalCostPercent: 15,
        runs: { unmirrored: plain.map(r1), mirrored: mirrored.map(r1) },
      },
    };
  } finally {
    await cli(["down"]).catch(() => "");
    rmSync(stateDir, { recursive: true, force: true });
  }
}
