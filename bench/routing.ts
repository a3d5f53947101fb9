/**
 * `npm run bench -- routing [modes] [runs]`: iperf3 TCP throughput pod-to-pod on the same node and
 * across nodes, in each routing mode (host-gw, vxlan, bgp), each in its own lab and all in one run;
 * every cross-node figure is also given as a ratio to same-node in the same lab, so both sides
 * share the pod MTU (1450 under vxlan). Also times a node joining: from `lab node add` until a pod
 * on the new node answers every existing pod. Prints JSON with every run and the medians.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RealExecutor } from "../src/exec/real.js";

const exec = new RealExecutor();
const PODNET = fileURLToPath(new URL("../../bin/podnet", import.meta.url));
const SECONDS = 5;

const pod = (name: string, node: string) => `---
apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: bench}}
spec:
  nodeName: ${node}
  containers: [{name: echo, ports: [{containerPort: 8080}]}]
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

class BenchLab {
  readonly name = `b${randomBytes(3).toString("hex")}`;
  readonly stateDir = mkdtempSync(join(tmpdir(), "podnet-bench-"));
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

/** iperf runs one TCP test from pod `from` to `ip` and returns Gbit/s received. */
async function iperf(lab: BenchLab, from: string, ip: string): Promise<number> {
  const out = await lab.cli(["exec", from, "--", "iperf3", "-c", ip, "-t", String(SECONDS), "-J"]);
  const j = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } };
  return j.end.sum_received.bits_per_second / 1e9;
}

/** joinTime adds a node and a pod on it, and waits until every existing pod reaches that pod. */
async function joinTime(lab: BenchLab, sources: string[]): Promise<{ nodeAddMs: number; reachableMs: number }> {
  const t0 = performance.now();
  await lab.cli(["node", "add"]);
  const nodeAddMs = performance.now() - t0;
  await lab.cli(["apply", "-f", "-"], pod("joiner", "node-3"));
  const url = `http://${await lab.podIP("joiner")}:8080/`;
  for (;;) {
    const answers = await Promise.all(sources.map((s) => lab.cli(["curl", s, url, url, "--timeout", "500"]).catch(() => "")));
    if (answers.every((a) => a.includes('"pod":"joiner"'))) break;
    if (performance.now() - t0 > 60_000) throw new Error("the new node's pod never became reachable");
  }
  return { nodeAddMs, reachableMs: performance.now() - t0 };
}

async function benchMode(mode: string, runs: number): Promise<Record<string, unknown>> {
  const lab = new BenchLab();
  try {
    await lab.cli(["up", "--nodes", "2", "--routing", mode]);
    await lab.cli(["apply", "-f", "-"], pod("client", "node-1") + pod("same", "node-1") + pod("remote", "node-2"));
    const same = await lab.podIP("same");
    const remote = await lab.podIP("remote");
    for (const p of ["same", "remote"]) await lab.cli(["exec", p, "--", "iperf3", "-s", "-D"]);
    await new Promise((r) => setTimeout(r, 300));
    const sameNode: number[] = [];
    const crossNode: number[] = [];
    for (let i = 0; i < runs; i++) {
      sameNode.push(await iperf(lab, "client", same));
      crossNode.push(await iperf(lab, "client", remote));
    }
    const join = await joinTime(lab, ["client", "remote"]);
    const s = median(sameNode);
    const c = median(crossNode);
    const [link] = JSON.parse(await lab.cli(["exec", "client", "--", "ip", "-j", "link", "show", "eth0"])) as { mtu: number }[];
    return {
      mode,
      podMtu: link?.mtu,
      sameNodeGbps: sameNode.map((x) => +x.toFixed(2)),
      crossNodeGbps: crossNode.map((x) => +x.toFixed(2)),
      medianSameNodeGbps: +s.toFixed(2),
      medianCrossNodeGbps: +c.toFixed(2),
      crossToSameRatio: +(c / s).toFixed(3),
      nodeAddMs: Math.round(join.nodeAddMs),
      newPodReachableMs: Math.round(join.reachableMs),
    };
  } finally {
    await lab.down();
  }
}

/** benchRouting measures every mode in one run. */
export async function benchRouting(modes = ["host-gw", "vxlan", "bgp"], runs = 3): Promise<Record<string, unknown>> {
  const results = [];
  for (const m of modes) {
    process.stderr.write(`routing bench: ${m}…\n`);
    results.push(await benchMode(m, runs));
  }
  return { bench: "routing", iperfSeconds: SECONDS, runs, results };
}
