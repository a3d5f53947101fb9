/**
 * `npm run bench -- ui [nodes] [podsPerNode]`: the web view in headless Chromium on simulated data
 * (50 nodes × 30 pods by default, a Service per 10 pods): (1) first paint — from navigation start
 * to the first frame drawn with the graph in it, as the page records it; (2) updates — 20 snapshots, each adding
 * a pod, pushed 250 ms apart while the page's long tasks (> 50 ms, the browser's measure of a
 * frozen page) are observed: how long each update took to show, and the longest task.
 */
import puppeteer from "puppeteer-core";
import type { KubeObject } from "../src/model/types.js";
import type { StoreSnapshot } from "../src/store/follow.js";
import { keyOf, keyString } from "../src/store/types.js";
import { serveUi } from "../src/ui/serve.js";
import type { UiSource } from "../src/ui/server.js";
import { type Snapshot, snapshotOf } from "../src/ui/snapshot.js";

function cluster(nodes: number, perNode: number, extra: number): StoreSnapshot {
  const objs: KubeObject[] = [];
  const at = (i: number, j: number) => `10.${244 + Math.floor(i / 250)}.${i % 250}.${j + 2}`;
  for (let i = 0; i < nodes; i++) {
    objs.push({ apiVersion: "v1", kind: "Node", metadata: { name: `node-${i + 1}` }, spec: { podCIDR: `10.244.${i}.0/24` } } as KubeObject);
    for (let j = 0; j < perNode + (i === 0 ? extra : 0); j++)
      objs.push({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `p-${i}-${j}`, namespace: `ns-${j % 5}`, labels: { app: `app-${j % 3}` } },
        spec: { nodeName: `node-${i + 1}`, containers: [{ name: "c" }] },
        status: { phase: "Running", podIP: at(i, j), podIPs: [{ ip: at(i, j) }] },
      } as KubeObject);
  }
  for (let s = 0; s < (nodes * perNode) / 10; s++)
    objs.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `svc-${s}`, namespace: "ns-0" },
      spec: { clusterIP: `10.96.${Math.floor(s / 250)}.${s % 250}`, ports: [{ port: 80 }] },
    } as KubeObject);
  return { resourceVersion: 1 + extra, objects: Object.fromEntries(objs.map((o) => [keyString(keyOf(o)), o])) };
}

/** benchUi measures first paint and updates of the web view at the given scale. */
export async function benchUi(nodes = 50, perNode = 30): Promise<Record<string, unknown>> {
  const ctx = { routing: "vxlan", external: { name: "external", ips: ["198.51.100.10"] } };
  let snap: Snapshot = snapshotOf(cluster(nodes, perNode, 0), ctx);
  const subs = new Set<(s: Snapshot) => void>();
  const source: UiSource = { snapshot: () => snap, subscribe: (fn) => (subs.add(fn), () => subs.delete(fn)) };
  const server = await serveUi(source, "127.0.0.1:0");
  const browser = await puppeteer.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"], headless: true });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 900 });
    await page.evaluateOnNewDocument(() => {
      const w = globalThis as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((l) => l.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({
        type: "longtask" as never,
        buffered: true,
      });
    });
    await page.goto(server.url);
    type W = { podnet: { painted?: number; updates: number }; longTasks: number[] };
    await page.waitForFunction(() => (globalThis as unknown as W).podnet.painted !== undefined, { timeout: 60_000 });
    const firstPaintMs = await page.evaluate(() => (globalThis as unknown as W).podnet.painted as number);
    await page.evaluate(() => ((globalThis as unknown as W).longTasks = []));
    const updateMs: number[] = [];
    for (let k = 1; k <= 20; k++) {
      snap = snapshotOf(cluster(nodes, perNode, k), ctx);
      const before = await page.evaluate(() => (globalThis as unknown as W).podnet.updates);
      const t0 = performance.now();
      for (const fn of subs) fn(snap);
      await page.waitForFunction((b) => (globalThis as unknown as W).podnet.updates > b, { timeout: 30_000 }, before);
      updateMs.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 250));
    }
    const longTasks = await page.evaluate(() => (globalThis as unknown as W).longTasks);
    const sorted = [...updateMs].sort((a, b) => a - b);
    return {
      scale: { nodes, pods: nodes * perNode, services: (nodes * perNode) / 10 },
      firstPaintMs: Math.round(firstPaintMs),
      firstPaintGoalMs: 1000,
      updates: updateMs.length,
      updateMs: { p50: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0), max: Math.round(sorted.at(-1) ?? 0) },
      longestTaskDuringUpdatesMs: Math.round(Math.max(0, ...longTasks)),
      longTasksDuringUpdates: longTasks.length,
    };
  } finally {
    await browser.close();
    await server.close();
  }
}
