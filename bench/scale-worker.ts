/**
 * A worker thread of `bench scale`: it runs its share of each run's simulated nodes and publishes,
 * every millisecond, the versions each one has applied (routes, rules) in an array it shares with
 * the main thread — so the N nodes use every core of the machine, as N real nodes run side by
 * side. A worker lives for the whole benchmark: the lock addon (fs-ext) crashes Node 20 when a
 * worker that loaded it is replaced by another.
 */
import { parentPort } from "node:worker_threads";
import type { Node } from "../src/model/types.js";
import { SimNode } from "./scale-sim.js";

/** ToWorker asks a worker to start a share of nodes (their slots from first in shared), to collect garbage, to stop its nodes, or to end. */
export type ToWorker =
  | { type: "start"; nodes: Node[]; location: string; shared: SharedArrayBuffer; first: number }
  | { type: "gc" }
  | { type: "stop" }
  | { type: "close" };

/** FromWorker is a worker's answer: loaded, its nodes started, a collection done, its nodes stopped (with their errors). */
export type FromWorker = { type: "ready" } | { type: "started" } | { type: "gc" } | { type: "stopped"; errors: string[] };

const port = parentPort;
if (!port) throw new Error("bench/scale-worker.js runs as a worker thread of bench scale");
let sims: SimNode[] = [];
let publish = () => {};
let stopping = false;
const timer = setInterval(() => publish(), 1);
const answer = (m: FromWorker) => port.postMessage(m);

async function start(m: Extract<ToWorker, { type: "start" }>): Promise<void> {
  const at = new Int32Array(m.shared);
  stopping = false;
  sims = m.nodes.map((n) => new SimNode(n, m.location));
  const mine = sims;
  publish = () =>
    mine.forEach((s, i) => {
      Atomics.store(at, 2 * (m.first + i), s.routesAt());
      Atomics.store(at, 2 * (m.first + i) + 1, s.rulesAt());
    });
  for (let i = 0; i < mine.length && !stopping; i += 25) await Promise.all(mine.slice(i, i + 25).map((s) => s.start()));
  answer({ type: "started" });
}

async function stop(): Promise<void> {
  stopping = true;
  const mine = sims;
  sims = [];
  publish = () => {};
  await Promise.all(mine.map((s) => s.stop().catch(() => {})));
  answer({ type: "stopped", errors: mine.flatMap((s) => s.errors) });
}

port.on("message", (m: ToWorker) => {
  if (m.type === "start") void start(m);
  else if (m.type === "stop") void stop();
  else if (m.type === "gc") {
    (globalThis as { gc?: () => void }).gc?.();
    answer({ type: "gc" });
  } else {
    clearInterval(timer);
    port.close();
  }
});
answer({ type: "ready" });
