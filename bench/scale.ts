/**
 * `npm run bench -- scale [N,N,…]`: N simulated nodes (bench/scale-sim.ts: the real agent and
 * proxy code on in-memory kernels, each with its own etcd client; spread over one worker thread
 * per core, or SCALE_THREADS, by bench/scale-pool.ts) against the lab's 3-member etcd
 * (`lab up --datastore etcd`, its controllers held down so that the bench alone writes). For an
 * endpoint change (an EndpointSlice update) and for a node joining (a new Node): the time until
 * every simulated node applied it (p50, p99 over every node and repetition), the etcd writes the
 * change caused (revisions from before it until every node applied it and a second passed), and
 * the resident memory per simulated node.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { readLabConfig } from "../src/lab/config.js";
import { LabPaths } from "../src/lab/layout.js";
import { storeLocation } from "../src/lab/labstore.js";
import type { EndpointSlice, KubeObject } from "../src/model/types.js";
import { RealExecutor } from "../src/exec/real.js";
import type { EtcdDatastore } from "../src/store/etcd.js";
import { FOLLOWED_KINDS } from "../src/store/informer.js";
import { openEtcd } from "../src/store/open.js";
import { trackCleanup, trackDir, trackNetns } from "./interrupt.js";
import { PODNET } from "./lab.js";
import { SimPool } from "./scale-pool.js";
import { simNode } from "./scale-sim.js";

const exec = new RealExecutor();
const CHANGES = 10;
const JOINS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** percentile is the p-th percentile (nearest rank) of xs. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? 0;
}

const slice = (n: number): EndpointSlice =>
  ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "bench-1", namespace: "default", labels: { "kubernetes.io/service-name": "bench" } },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: Array.from({ length: n }, (_, i) => ({ addresses: [`10.100.0.${10 + i}`], conditions: { ready: true } })),
  }) as unknown as EndpointSlice;

const service = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "bench", namespace: "default" },
  spec: { clusterIP: "10.96.200.1", clusterIPs: ["10.96.200.1"], ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }] },
} as KubeObject;

/** At reads the version simulated node i has applied (its routes, or its proxy's rules). */
type At = (i: number) => number;

/** reached waits until every node's at(i) reaches rev and returns each one's delay from t0 (ms). */
async function reached(n: number, at: At, rev: number, t0: number): Promise<number[]> {
  const when: (number | undefined)[] = Array.from({ length: n }, () => undefined);
  for (;;) {
    const now = performance.now();
    let left = 0;
    for (let i = 0; i < n; i++) {
      if (when[i] !== undefined) continue;
      if (at(i) >= rev) when[i] = now - t0;
      else left++;
    }
    if (left === 0) return when as number[];
    if (now - t0 > 60_000) throw new Error(`failed to propagate version ${rev}: ${left} of ${n} simulated nodes did not apply it in 60 s`);
    await sleep(2);
  }
}

/** measure makes one change and times it to every node; writes are the revisions it took, a second after. */
async function measure(ds: EtcdDatastore, n: number, at: At, change: () => Promise<KubeObject>) {
  const before = Number(await ds.revision());
  const t0 = performance.now();
  const rev = Number((await change()).metadata.resourceVersion);
  const delays = await reached(n, at, rev, t0);
  await sleep(1_000);
  return { delays, writes: Number(await ds.revision()) - before };
}

const range = (xs: number[]) => ({ min: Math.min(...xs), max: Math.max(...xs) });
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;
const stats = (xs: number[]) => ({
  p50Ms: Math.round(percentile(xs, 50)),
  p99Ms: Math.round(percentile(xs, 99)),
  maxMs: Math.round(Math.max(...xs)),
});

/** runScale starts n simulated nodes on the pool's threads, measures the two changes and stops them. */
async function runScale(ds: EtcdDatastore, pool: SimPool, n: number) {
  const nodes = Array.from({ length: n }, (_, i) => simNode(`sim-${n}-${i + 1}`, i + 1));
  for (let i = 0; i < n; i += 50) await Promise.all(nodes.slice(i, i + 50).map((o) => ds.create(o)));
  const routes: At = (i) => pool.routesAt(i);
  const rules: At = (i) => pool.rulesAt(i);
  let errors: string[] | undefined;
  try {
    (globalThis as { gc?: () => void }).gc?.();
    await pool.gc();
    const rss0 = rssMiB();
    const t0 = performance.now();
    await pool.start(nodes);
    // In step: at the newest version of what they follow (their nodes' heartbeat Leases are not).
    const rev = Math.max(...(await ds.list(FOLLOWED_KINDS)).items.map((o) => Number(o.metadata.resourceVersion)));
    await reached(n, (i) => Math.min(routes(i), rules(i)), rev, t0);
    const startMs = Math.round(performance.now() - t0);
    await sleep(2_000);
    (globalThis as { gc?: () => void }).gc?.();
    await pool.gc();
    const perNodeMiB = (rssMiB() - rss0) / n;
    const endpoint = { delays: [] as number[], writes: [] as number[] };
    for (let k = 0; k < CHANGES; k++) {
      const cur = await ds.get<EndpointSlice>({ kind: "EndpointSlice", namespace: "default", name: "bench-1" });
      const r = await measure(ds, n, rules, () => ds.update({ ...slice(3 + ((k + 1) % 5)), metadata: cur!.metadata }));
      endpoint.delays.push(...r.delays);
      endpoint.writes.push(r.writes);
    }
    const join = { delays: [] as number[], writes: [] as number[] };
    for (let k = 0; k < JOINS; k++) {
      const r = await measure(ds, n, routes, () => ds.create(simNode(`join-${n}-${k}`, 1000 + k)));
      join.delays.push(...r.delays);
      join.writes.push(r.writes);
    }
    errors = await pool.stop();
    return {
      nodes: n,
      threads: Math.min(pool.threads, n),
      startMs,
      rssPerNodeMiB: Number(perNodeMiB.toFixed(2)),
      endpointChange: { changes: CHANGES, ...stats(endpoint.delays), writesPerChange: range(endpoint.writes) },
      nodeJoin: { changes: JOINS, ...stats(join.delays), writesPerChange: range(join.writes) },
      errors: errors.length,
      ...(errors.length ? { firstError: errors[0] } : {}),
    };
  } finally {
    if (!errors) await pool.stop();
    const gone = [...nodes.map((o) => o.metadata.name), ...Array.from({ length: JOINS }, (_, k) => `join-${n}-${k}`)];
    for (let i = 0; i < gone.length; i += 50) await Promise.all(gone.slice(i, i + 50).map((name) => ds.delete({ kind: "Node", name })));
  }
}

/** benchScale runs the counts in turn against one etcd lab. */
export async function benchScale(
  counts = [10, 100, 500],
  threads = Number(process.env.SCALE_THREADS) || availableParallelism(),
): Promise<Record<string, unknown>> {
  const lab = `s${randomBytes(3).toString("hex")}`;
  trackNetns(`pn-${lab}-`);
  const stateDir = trackDir(mkdtempSync(join(tmpdir(), "podnet-bench-")));
  const cli = (args: string[]) =>
    exec.run({ argv: [PODNET, "lab", ...args, "--lab", lab, "--state-dir", stateDir], netns: null, timeoutMs: 300_000 });
  let ds: EtcdDatastore | undefined;
  let pool: SimPool | undefined;
  const forget = trackCleanup(() => cli(["down"]));
  try {
    await cli(["up", "--nodes", "1", "--no-dns", "--datastore", "etcd"]);
    for (const c of ["controller/1", "controller/2"]) await cli(["stop", c]);
    const paths = new LabPaths(stateDir, lab);
    const location = storeLocation(paths, readLabConfig(paths.config, lab), "admin", "socket");
    ds = openEtcd(location);
    await ds.create(service);
    await ds.create(slice(3));
    pool = new SimPool(location, threads);
    await pool.open();
    const runs = [];
    for (const n of counts) runs.push(await runScale(ds, pool, n));
    return {
      bench: "scale",
      shape:
        "N simulated nodes in one process, spread over `threads` worker threads (each node the real podnet agent, host-gw, with the proxy it hosts, iptables, on one etcd client and one watch, on an in-memory kernel) against the lab's 3-member etcd over TLS; the bench writes the changes (controllers held down)",
      runs,
      goal: { p99Ms: 1000, atNodes: 500, writesPerChange: "constant in N" },
    };
  } finally {
    await pool?.close();
    await ds?.close();
    forget();
    await cli(["down"]).catch(() => {});
    rmSync(stateDir, { recursive: true, force: true });
  }
}
