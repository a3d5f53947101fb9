/**
 * Serving the web view: the page's files from the build (dist/ui, bundled by esbuild at build
 * time, so the page needs no network), and the app on a loopback address unless told otherwise.
 */
import { readFileSync } from "node:fs";
import { createAdaptorServer } from "@hono/node-server";
import { type BindAddress, parseBindAddress } from "../util/http.js";
import { type Assets, uiApp, type UiSource } from "./server.js";

const TYPES: Record<string, string> = {
  "/index.html": "text/html; charset=utf-8",
  "/app.js": "text/javascript; charset=utf-8",
  "/app.css": "text/css; charset=utf-8",
};

/** loadAssets reads the built page (dist/ui); it throws with the fix when the build has not made it. */
export function loadAssets(dir = new URL("../../ui/", import.meta.url)): Assets {
  const out = new Map<string, { type: string; body: string }>();
  for (const [path, type] of Object.entries(TYPES)) {
    try {
      out.set(path, { type, body: readFileSync(new URL(path.slice(1), dir), "utf8") });
    } catch (e) {
      throw new Error(`failed to load the web view "${path}": ${(e as Error).message} (run bash scripts/setup.sh to build it)`);
    }
  }
  return out;
}

/** UiServer is a listening web view. */
export interface UiServer {
  url: string;
  close(): Promise<void>;
}

/** serveUi listens on addr (default 127.0.0.1:8088) and serves the page and API from source. */
export async function serveUi(source: UiSource, addr = "127.0.0.1:8088", assets = loadAssets()): Promise<UiServer> {
  const bind = parseBindAddress(addr, true) as BindAddress;
  const app = uiApp(source, assets);
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(bind.port, bind.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const host = bind.host.includes(":") ? `[${bind.host}]` : bind.host;
  return {
    url: `http://${host}:${port}/`,
    // Open event streams would hold close() forever: they are cut, as on Ctrl-C the page just reconnects to nothing.
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
