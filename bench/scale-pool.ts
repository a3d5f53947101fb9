/**
 * SimPool runs `bench scale`'s simulated nodes in worker threads (bench/scale-worker.ts), an equal
 * share each, and reads the versions every node has applied from the array the workers share with
 * it. One thread per core: on one thread, 500 nodes' watch decoding and passes queue behind one
 * another, which N real nodes never do. The workers serve every run of the benchmark, then close.
 */
import { Worker } from "node:worker_threads";
import type { Node } from "../src/model/types.js";
import type { FromWorker, ToWorker } from "./scale-worker.js";

const CLOSE_MS = 30_000;

/** SimPool is a number of worker threads that run simulated nodes. */
export class SimPool {
  private at = new Int32Array(new SharedArrayBuffer(0));
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<Worker, (m: FromWorker) => void>();
  private busy: Worker[] = [];

  constructor(
    private readonly location: string,
    readonly threads: number,
  ) {}

  /** open starts the workers and returns once each has loaded. */
  async open(): Promise<void> {
    for (let i = 0; i < this.threads; i++) {
      const w = new Worker(new URL("./scale-worker.js", import.meta.url));
      // The waiter is set before the worker can answer: its first message comes after its modules load.
      w.on("message", (m: FromWorker) => this.waiting.get(w)?.(m));
      this.workers.push(w);
    }
    await Promise.all(this.workers.map((w) => this.next(w, "ready")));
  }

  /** start starts nodes, an equal share on each worker, and returns once all have started. */
  async start(nodes: Node[]): Promise<void> {
    this.at = new Int32Array(new SharedArrayBuffer(8 * nodes.length));
    const share = Math.ceil(nodes.length / this.workers.length);
    this.busy = this.workers.slice(0, Math.ceil(nodes.length / share));
    await Promise.all(
      this.busy.map((w, k) =>
        this.ask(w, "started", {
          type: "start",
          nodes: nodes.slice(k * share, (k + 1) * share),
          location: this.location,
          shared: this.at.buffer,
          first: k * share,
        }),
      ),
    );
  }

  /** routesAt is the version node i's routes converged to. */
  routesAt(i: number): number {
    return Atomics.load(this.at, 2 * i);
  }

  /** rulesAt is the version node i's proxy last synced its rules to. */
  rulesAt(i: number): number {
    return Atomics.load(this.at, 2 * i + 1);
  }

  /** gc collects garbage in every worker (with --expose-gc). */
  async gc(): Promise<void> {
    await Promise.all(this.workers.map((w) => this.ask(w, "gc", { type: "gc" })));
  }

  /** stop stops the running nodes and returns their errors. */
  async stop(): Promise<string[]> {
    const answers = await Promise.all(this.busy.map((w) => this.ask(w, "stopped", { type: "stop" }).catch((e: Error) => e)));
    this.busy = [];
    return answers.flatMap((m) => (m instanceof Error ? [m.message] : m.type === "stopped" ? m.errors : []));
  }

  /** close ends the workers: each exits on its own once its nodes are stopped; one still there after 30 s is terminated. */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        const exited = new Promise<boolean>((r) => w.once("exit", () => r(true)));
        w.postMessage({ type: "close" } satisfies ToWorker);
        const late = new Promise<boolean>((r) => setTimeout(() => r(false), CLOSE_MS).unref());
        if (!(await Promise.race([exited, late]))) await w.terminate();
      }),
    );
  }

  private ask(w: Worker, want: FromWorker["type"], m: ToWorker): Promise<FromWorker> {
    const answer = this.next(w, want);
    w.postMessage(m);
    return answer;
  }

  /** next is worker w's next message of a type; it fails if the worker fails or exits first. */
  private next(w: Worker, type: FromWorker["type"]): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      const fail = (why: string) => reject(new Error(`failed to run simulated nodes in a worker thread: ${why}`));
      const onError = (e: Error) => fail(e.message);
      const onExit = (code: number) => fail(`it exited (code ${code})`);
      w.once("error", onError);
      w.once("exit", onExit);
      this.waiting.set(w, (m) => {
        if (m.type !== type) return;
        w.off("error", onError);
        w.off("exit", onExit);
        this.waiting.delete(w);
        resolve(m);
      });
    });
  }
}
