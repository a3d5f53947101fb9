/**
 * `npm run bench -- routing [modes] [runs]`: iperf3 TCP throughput pod-to-pod on the same node and
 * across nodes, in each routing mode (host-gw, vxlan, bgp), each in its own lab and all in one run;
 * every cross-node figure is also given as a ratio to same-node in the same lab, so both sides
 * share the pod MTU (1450 under vxlan). Also times a node joining: from `lab node add` until a pod
 * on the new node answers every existing pod. The same throughput runs on a hand-built copy of the
 * topology without podnet (ref-host-gw, ref-vxlan). A mode may name the nodes' iptables flavour
 * (`vxlan@legacy`; default nft). Prints JSON with every run and the medians.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RealExecutor } from "../src/exec/real.js";
import { trackDir, trackNetns } from "./interrupt.js";
import { RefLab } from "./routing-ref.js";

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
type Client = (argv: string[]) => Promise<string>;

/** iperf runs one TCP test to `ip` and returns Gbit/s received. */
async function iperf(client: Client, ip: string): Promise<number> {
  const out = await client(["iperf3", "-c", ip, "-t", String(SECONDS), "-J"]);
  const j = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } };
  return j.end.sum_received.bits_per_second / 1e9;
}

/** throughput alternates same-node and cross-node runs and summarises them. */
async function throughput(client: Client, same: string, remote: string, runs: number): Promise<Record<string, unknown>> {
  const sameNode: number[] = [];
  const crossNode: number[] = [];
  for (let i = 0; i < runs; i++) {
    sameNode.push(await iperf(client, same));
    crossNode.push(await iperf(client, remote));
  }
  const s = median(sameNode);
  const c = median(crossNode);
  return {
    sameNodeGbps: sameNode.map((x) => +x.toFixed(2)),
    crossNodeGbps: crossNode.map((x) => +x.toFixed(2)),
    medianSameNodeGbps: +s.toFixed(2),
    medianCrossNodeGbps: +c.toFixed(2),
    crossToSameRatio: +(c / s).toFixed(3),
  };
}

/** benchReference measures the hand-built topology without podnet (host-gw or vxlan by plain ip commands). */
async function benchReference(mode: "host-gw" | "vxlan", runs: number): Promise<Record<string, unknown>> {
  const ref = new RefLab(exec);
  try {
    const { same, remote } = await ref.up(mode);
    for (const p of ["same", "remote"]) await exec.run({ argv: ["iperf3", "-s", "-D"], netns: ref.ns(p) });
    await new Promise((r) => setTimeout(r, 300));
    const client: Client = async (argv) => (await exec.run({ argv, netns: ref.ns("client"), timeoutMs: 60_000 })).stdout;
    return {
      mode: `hand-built ${mode} (no podnet, no netfilter rules)`,
      podMtu: mode === "vxlan" ? 1450 : 1500,
      ...(await throughput(client, same, remote, runs)),
    };
  } finally {
    await ref.down();
  }
}

/** joinTime adds a node and a pod on it, and waits until every existing pod reaches that pod. */
async function joinTime(lab: BenchLab, sources: string[]): Promise<{ nodeAddMs: number; reachableMs: number }> {
  const t0 = performance.now();
  await lab.cli(["node", "add"]);
  const nodeAddMs = performance.now() - t0;
  await lab.cli(["apply", "-f", "-"], pod("joiner", "node-3"));
  const url = `http://${await lab.podIP("joiner")}:8080/`;
  for (;;) {
    const answers = await Promise.all(sources.map((s) => lab.cli(["curl", s, url, url, "--timeout", "500ms"]).catch(() => "")));
    if (answers.every((a) => a.includes('"pod":"joiner"'))) break;
    if (performance.now() - t0 > 60_000) throw new Error("the new node's pod never became reachable");
  }
  return { nodeAddMs, reachableMs: performance.now() - t0 };
}

async function benchMode(mode: string, runs: number): Promise<Record<string, unknown>> {
  const lab = new BenchLab();
  try {
    const [routing = mode, flavour] = mode.split("@"); // "vxlan@legacy": the nodes use iptables-legacy
    await lab.cli(["up", "--nodes", "2", "--routing-mode", routing, ...(flavour ? ["--iptables", flavour] : [])]);
    await lab.cli(["apply", "-f", "-"], pod("client", "node-1") + pod("same", "node-1") + pod("remote", "node-2"));
    const same = await lab.podIP("same");
    const remote = await lab.podIP("remote");
    for (const p of ["same", "remote"]) await lab.cli(["exec", p, "--", "iperf3", "-s", "-D"]);
    await new Promise((r) => setTimeout(r, 300));
    const client: Client = (argv) => lab.cli(["exec", "client", "--", ...argv]);
    const tp = await throughput(client, same, remote, runs);
    const join = await joinTime(lab, ["client", "remote"]);
    const [link] = JSON.parse(await lab.cli(["exec", "client", "--", "ip", "-j", "link", "show", "eth0"])) as { mtu: number }[];
    return { mode, podMtu: link?.mtu, ...tp, nodeAddMs: Math.round(join.nodeAddMs), newPodReachableMs: Math.round(join.reachableMs) };
  } finally {
    await lab.down();
  }
}

/** benchRouting measures every mode in one run, and the hand-built references ("ref-host-gw", "ref-vxlan"). */
export async function benchRouting(
  modes = ["host-gw", "vxlan", "bgp", "ref-host-gw", "ref-vxlan"],
  runs = 3,
): Promise<Record<string, unknown>> {
  const results = [];
  for (const m of modes) {
    process.stderr.write(`routing bench: ${m}…\n`);
    if (m === "ref-host-gw" || m === "ref-vxlan") results.push(await benchReference(m.slice(4) as "host-gw" | "vxlan", runs));
    else results.push(await benchMode(m, runs));
  }
  return { bench: "routing", iperfSeconds: SECONDS, runs, results };
}
