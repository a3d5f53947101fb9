/**
 * `npm run bench -- cni [count] [parallel]`: ADD and DEL timed as a runtime calls them — a fresh
 * plugin process per call, CNI_* environment, config on stdin, in a node namespace of the bench's
 * own — for podnet-cni and the reference bridge + host-local (Debian's containernetworking-plugins),
 * in the same run: `count` sequential ADDs then DELs, then `parallel` ADDs and DELs at once.
 * podnet-cni runs as a runtime finds it (`bin/podnet-cni`, the native shim) with the node's agent
 * (`podnet cni agent`) serving, and standalone (PODNET_CNI_SOCKET=none: the shim execs Node on the
 * bundle); the bundle is also run by `node` directly with and without NODE_EXTRA_CA_CERTS, to show
 * what that variable would cost. Times include the `nsenter` into the node namespace.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RealExecutor } from "../src/exec/real.js";
import { inParallel } from "../src/lab/kubelet.js";
import { createNetns, deleteNetns } from "../src/iproute/netns.js";
import { stopPids } from "../src/util/proc.js";
import { trackDir, trackNetns } from "./interrupt.js";

const exec = new RealExecutor();
const BIN = fileURLToPath(new URL("../../bin", import.meta.url));
const BUNDLE = fileURLToPath(new URL("../podnet-cni.cjs", import.meta.url));

interface Variant {
  name: string;
  argv: string[];
  conf: Record<string, unknown>;
  env: Record<string, string | undefined>;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return +(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0).toFixed(1);
};
const stats = (xs: number[]) => ({ p50: pct(xs, 50), p90: pct(xs, 90), max: pct(xs, 100) });

async function call(v: Variant, node: string, pod: string, cmd: "ADD" | "DEL", i: number): Promise<number> {
  const t = performance.now();
  await exec.run({
    argv: v.argv,
    netns: node,
    stdin: JSON.stringify({ cniVersion: "1.0.0", name: v.name, ...v.conf }),
    env: {
      ...v.env,
      CNI_COMMAND: cmd,
      CNI_CONTAINERID: `bench${i}`,
      CNI_NETNS: `/var/run/netns/${pod}`,
      CNI_IFNAME: "eth0",
      CNI_PATH: `${BIN}:/usr/lib/cni`,
    },
  });
  return performance.now() - t;
}

async function measure(v: Variant, node: string, pods: string[], count: number, parallel: number): Promise<Record<string, unknown>> {
  const seqAdd: number[] = [];
  const seqDel: number[] = [];
  for (let i = 0; i < count; i++) seqAdd.push(await call(v, node, pods[i]!, "ADD", i));
  for (let i = 0; i < count; i++) seqDel.push(await call(v, node, pods[i]!, "DEL", i));
  const parAdd: number[] = [];
  const parDel: number[] = [];
  const idx = Array.from({ length: parallel }, (_, i) => i);
  let t = performance.now();
  await Promise.all(idx.map(async (i) => parAdd.push(await call(v, node, pods[i]!, "ADD", i))));
  const parAddWall = performance.now() - t;
  t = performance.now();
  await Promise.all(idx.map(async (i) => parDel.push(await call(v, node, pods[i]!, "DEL", i))));
  const parDelWall = performance.now() - t;
  return {
    variant: v.name,
    sequentialAddMs: stats(seqAdd),
    sequentialDelMs: stats(seqDel),
    parallelAddMs: { ...stats(parAdd), wall: Math.round(parAddWall) },
    parallelDelMs: { ...stats(parDel), wall: Math.round(parDelWall) },
  };
}

/** benchCni measures podnet-cni against bridge + host-local. */
export async function benchCni(count = 50, parallel = 20): Promise<Record<string, unknown>> {
  const prefix = trackNetns(`pn-cb${randomBytes(3).toString("hex")}-`);
  const node = `${prefix}node`;
  const pods = Array.from({ length: Math.max(count, parallel) }, (_, i) => `${prefix}p${i}`);
  const dataDir = trackDir(mkdtempSync(join(tmpdir(), "podnet-bench-cni-")));
  const bridge = (name: string, br: string, subnet: string, ipam: string, plugin: string) => ({
    type: plugin,
    bridge: br,
    isGateway: true,
    ipam: { type: ipam, subnet, dataDir: join(dataDir, name) },
  });
  const noCa = { NODE_EXTRA_CA_CERTS: undefined };
  const socket = join(dataDir, "agent", "cni.sock");
  const plugin = join(BIN, "podnet-cni");
  const variants: Variant[] = [
    {
      name: "reference",
      argv: ["/usr/lib/cni/bridge"],
      conf: bridge("reference", "cni1", "10.251.0.0/24", "host-local", "bridge"),
      env: {},
    },
    {
      name: "podnet",
      argv: [plugin],
      conf: bridge("podnet", "cni0", "10.252.0.0/24", "podnet", "podnet-cni"),
      env: { PODNET_CNI_SOCKET: socket },
    },
    {
      name: "podnet-standalone",
      argv: [plugin],
      conf: bridge("podnetsa", "cni4", "10.250.0.0/24", "podnet", "podnet-cni"),
      env: { PODNET_CNI_SOCKET: "none" },
    },
    {
      name: "podnet-standalone-with-NODE_EXTRA_CA_CERTS",
      argv: [process.execPath, BUNDLE],
      conf: bridge("podnetca", "cni2", "10.253.0.0/24", "podnet", "podnet-cni"),
      env: { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? "/etc/ssl/certs/ca-certificates.crt" },
    },
    {
      name: "podnet-standalone-without-NODE_EXTRA_CA_CERTS",
      argv: [process.execPath, BUNDLE],
      conf: bridge("podnetnoca", "cni3", "10.254.0.0/24", "podnet", "podnet-cni"),
      env: noCa,
    },
  ];
  let agent: number | undefined;
  try {
    await createNetns(exec, node);
    agent = await exec.daemon({
      argv: [plugin, "agent", "--socket", socket],
      netns: node,
      env: noCa,
      logFile: join(dataDir, "agent.log"),
      readyLine: "ready",
    });
    await inParallel(pods, 10, (p) => createNetns(exec, p));
    const results: Record<string, unknown>[] = [];
    for (const v of variants) {
      process.stderr.write(`cni bench: ${v.name}…\n`);
      results.push(await measure(v, node, pods, count, parallel));
    }
    const p50 = (name: string) => ((results.find((r) => r.variant === name)?.sequentialAddMs as { p50: number }) ?? { p50: 0 }).p50;
    return {
      bench: "cni",
      count,
      parallel,
      results,
      addP50RatioToReference: +(p50("podnet") / p50("reference")).toFixed(2),
      standaloneAddP50RatioToReference: +(p50("podnet-standalone") / p50("reference")).toFixed(2),
      nodeExtraCaCertsCostMs: +(
        p50("podnet-standalone-with-NODE_EXTRA_CA_CERTS") - p50("podnet-standalone-without-NODE_EXTRA_CA_CERTS")
      ).toFixed(1),
    };
  } finally {
    if (agent !== undefined) await stopPids([agent]);
    await inParallel([...pods, node], 10, (p) => deleteNetns(exec, p));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
