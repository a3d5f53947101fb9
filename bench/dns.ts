/**
 * `npm run bench -- dns [sizes] [seconds]`: the cluster DNS against dnsmasq, in one namespace of its
 * own. For each size, a store of N Services (`podnet dns` answers them from its index) and a hosts
 * file of the same N names (dnsmasq answers them from it). Throughput: dnsperf asking for random
 * service names for `seconds`, each server alone, three interleaved rounds, medians. Latency: a paced
 * client at 1 000 questions a second for 3 s, percentiles of the answer times. The podnet process's
 * RSS is read at the end of each size.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RealExecutor } from "../src/exec/real.js";
import { createNetns, deleteNetns } from "../src/iproute/netns.js";
import { dnsmasqArgv } from "../src/lab/dns.js";
import type { Service } from "../src/model/types.js";
import { EmbeddedStore } from "../src/store/embedded.js";
import { stopPids } from "../src/util/proc.js";
import { trackDir, trackNetns } from "./interrupt.js";

const exec = new RealExecutor();
const PODNET = fileURLToPath(new URL("../../bin/podnet", import.meta.url));
const LATENCY = fileURLToPath(new URL("./tools/dns-latency.js", import.meta.url));
const [PODNET_ADDR, DNSMASQ_ADDR] = ["127.0.0.1", "127.0.0.2"];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0;
const svcName = (i: number) => `svc-${i}.bench.svc.cluster.local`;
const svcIP = (i: number) => `10.96.${(i >> 8) & 255}.${i & 255}`;

async function writeStore(file: string, n: number): Promise<void> {
  await new EmbeddedStore(file).create((tx) => {
    for (const ns of ["default", "bench"]) tx.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    for (let i = 0; i < n; i++) {
      const s: Service = {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: `svc-${i}`, namespace: "bench", uid: `u${i}` },
        spec: { clusterIP: svcIP(i), clusterIPs: [svcIP(i)], ports: [{ name: "http", port: 80, protocol: "TCP" }] },
      };
      tx.put(s);
    }
  });
}

async function dnsperf(netns: string, server: string, queries: string, seconds: number): Promise<number> {
  const r = await exec.run({
    argv: ["dnsperf", "-s", server, "-d", queries, "-l", String(seconds), "-c", "4", "-q", "256", "-T", "1"],
    netns,
    timeoutMs: (seconds + 30) * 1000,
  });
  const qps = /Queries per second:\s+([\d.]+)/.exec(r.stdout)?.[1];
  const lost = /Queries lost:\s+(\d+)/.exec(r.stdout)?.[1];
  if (!qps) throw new Error(`dnsperf printed no rate:\n${r.stdout}${r.stderr}`);
  if (Number(lost) > 0.01 * Number(qps) * seconds) throw new Error(`dnsperf lost ${lost} queries against ${server}`);
  return Number(qps);
}

async function latency(
  netns: string,
  server: string,
  names: string[],
): Promise<{ p50: number; p99: number; max: number; unanswered: number }> {
  const r = await exec.run({ argv: [process.execPath, LATENCY, server, "53", "1000", "3", ...names], netns, timeoutMs: 60_000 });
  const j = JSON.parse(r.stdout) as { sent: number; answered: number; p50: number; p99: number; max: number };
  return { p50: j.p50, p99: j.p99, max: j.max, unanswered: j.sent - j.answered };
}

const rssMB = (pid: number) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024);

async function oneSize(netns: string, dir: string, n: number, seconds: number): Promise<Record<string, unknown>> {
  const store = join(dir, `store-${n}.json`);
  await writeStore(store, n);
  writeFileSync(join(dir, `hosts-${n}`), Array.from({ length: n }, (_, i) => `${svcIP(i)} ${svcName(i)}\n`).join(""));
  const picks = Array.from({ length: 20_000 }, () => Math.floor(Math.random() * n));
  writeFileSync(join(dir, `queries-${n}`), picks.map((i) => `${svcName(i)} A\n`).join(""));
  const sample = picks.slice(0, 500).map(svcName);
  const pids: number[] = [];
  try {
    const podnet = await exec.daemon({
      argv: [PODNET, "dns", `--store=${store}`, `--listen=${PODNET_ADDR}`, "--port=53"],
      netns,
      logFile: join(dir, `podnet-dns-${n}.log`),
      readyLine: "ready",
      timeoutMs: 60_000,
    });
    pids.push(podnet);
    const hosts = [`--addn-hosts=${join(dir, `hosts-${n}`)}`, "--local=/cluster.local/"];
    await exec.run({ argv: dnsmasqArgv([DNSMASQ_ADDR], join(dir, `dnsmasq-${n}.pid`), 5, hosts), netns });
    pids.push(Number(readFileSync(join(dir, `dnsmasq-${n}.pid`), "utf8")));
    const rate = { podnet: [] as number[], dnsmasq: [] as number[] };
    for (let round = 0; round < 3; round++) {
      rate.podnet.push(await dnsperf(netns, PODNET_ADDR, join(dir, `queries-${n}`), seconds));
      rate.dnsmasq.push(await dnsperf(netns, DNSMASQ_ADDR, join(dir, `queries-${n}`), seconds));
    }
    const lat = { podnet: await latency(netns, PODNET_ADDR, sample), dnsmasq: await latency(netns, DNSMASQ_ADDR, sample) };
    const qps = { podnet: Math.round(median(rate.podnet)), dnsmasq: Math.round(median(rate.dnsmasq)) };
    return {
      services: n,
      qps,
      qpsRounds: rate,
      ratio: Math.round((qps.podnet / qps.dnsmasq) * 100) / 100,
      latencyUs: lat,
      podnetRssMB: rssMB(podnet),
    };
  } finally {
    await stopPids(pids);
  }
}

/** benchDns runs the benchmark. */
export async function benchDns(sizes = [100, 10_000], seconds = 5): Promise<Record<string, unknown>> {
  const netns = trackNetns(`pn-bd${randomBytes(3).toString("hex")}-dns`);
  const dir = trackDir(mkdtempSync(join(tmpdir(), "podnet-bench-dns-")));
  await createNetns(exec, netns);
  try {
    const results = [];
    for (const n of sizes) results.push(await oneSize(netns, dir, n, seconds));
    return { goal: { ratio: ">= 0.5", p99Us: "<= 2000" }, seconds, results };
  } finally {
    await deleteNetns(exec, netns);
    rmSync(dir, { recursive: true, force: true });
  }
}
