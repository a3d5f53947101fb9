/**
 * The web view's HTTP side (hono): the page and its bundle, and a read-only JSON API — the
 * cluster snapshot, a stream of snapshots as the store changes (Server-Sent Events), and where the
 * source offers them, traces, doctor runs and a pod's policies. Every method but GET and HEAD is
 * refused with 405: nothing here can change the cluster.
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { Snapshot } from "./snapshot.js";

/** TraceQuery is what the trace view asks: `lab trace`'s arguments. */
export interface TraceQuery {
  namespace: string;
  src: string;
  dst: string;
  verify: boolean;
  family?: 4 | 6;
}

/** UiSource is what the page reads: the latest snapshot, its changes, and the lab's tools where there is a lab. */
export interface UiSource {
  snapshot(): Snapshot | undefined;
  /** subscribe calls fn with every new snapshot until the returned function is called. */
  subscribe(fn: (s: Snapshot) => void): () => void;
  trace?(q: TraceQuery): Promise<unknown>;
  doctor?(): Promise<unknown>;
  policies?(namespace: string, pod: string): Promise<unknown>;
}

/** Assets are the page's files, by path. */
export type Assets = ReadonlyMap<string, { type: string; body: string | Uint8Array }>;

const fail = (what: string, e: unknown) => ({ error: `failed to ${what}: ${(e as Error).message}` });

/** uiApp is the web view's app. */
export function uiApp(source: UiSource, assets: Assets): Hono {
  const app = new Hono();
  app.use("*", async (c, next) => {
    if (c.req.method !== "GET" && c.req.method !== "HEAD")
      return c.json({ error: "the podnet UI is read-only" }, 405, { Allow: "GET, HEAD" });
    await next();
  });
  app.get("/api/snapshot", (c) => {
    const s = source.snapshot();
    return s ? c.json(s) : c.json({ error: "the cluster store has not been read yet" }, 503);
  });
  app.get("/api/events", (c) =>
    streamSSE(c, async (stream) => {
      let last = -1;
      const send = async (s: Snapshot) => {
        if (s.version === last) return;
        last = s.version;
        await stream.writeSSE({ event: "snapshot", data: JSON.stringify(s), id: String(s.version) });
      };
      const queue: Snapshot[] = [];
      let wake = () => {};
      const off = source.subscribe((s) => {
        queue.push(s);
        wake();
      });
      stream.onAbort(() => {
        off();
        wake();
      });
      const first = source.snapshot();
      if (first) await send(first);
      while (!stream.aborted) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 15_000);
        });
        const next = queue.splice(0).at(-1);
        if (next) await send(next);
        else if (!stream.aborted) await stream.writeSSE({ event: "ping", data: "" });
      }
    }),
  );
  app.get("/api/trace", async (c) => {
    if (!source.trace) return c.json({ error: "trace needs a lab: run `podnet lab ui`" }, 501);
    const q = c.req.query();
    if (!q.src || !q.dst) return c.json({ error: "failed to trace: want src and dst" }, 400);
    const family = q.family === "6" ? 6 : q.family === "4" ? 4 : undefined;
    try {
      return c.json(
        await source.trace({
          namespace: q.namespace || "default",
          src: q.src,
          dst: q.dst,
          verify: q.verify === "1",
          ...(family ? { family } : {}),
        }),
      );
    } catch (e) {
      return c.json(fail(`trace ${q.src} to ${q.dst}`, e), 400);
    }
  });
  app.get("/api/doctor", async (c) => {
    if (!source.doctor) return c.json({ error: "doctor needs a lab: run `podnet lab ui`" }, 501);
    try {
      return c.json(await source.doctor());
    } catch (e) {
      return c.json(fail("run doctor", e), 500);
    }
  });
  app.get("/api/policies/:namespace/:pod", async (c) => {
    if (!source.policies) return c.json({ error: "policies are not available here" }, 501);
    try {
      return c.json(await source.policies(c.req.param("namespace"), c.req.param("pod")));
    } catch (e) {
      return c.json(fail(`read the policies of pod "${c.req.param("namespace")}/${c.req.param("pod")}"`, e), 404);
    }
  });
  app.get("*", (c) => {
    const a = assets.get(c.req.path === "/" ? "/index.html" : c.req.path);
    if (!a) return c.json({ error: `no such page "${c.req.path}"` }, 404);
    return c.body(typeof a.body === "string" ? a.body : new Uint8Array(a.body), 200, {
      "Content-Type": a.type,
      "Cache-Control": "no-cache",
    });
  });
  return app;
}
