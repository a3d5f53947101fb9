/**
 * The small HTTP servers podnet runs (health checks, /healthz, /metrics): a page function maps a
 * path to an answer, and listening resolves once the port is bound or rejects with the bind error.
 */
import { createServer, type Server } from "node:http";

/** Page is one answer: status, headers and body. */
export interface Page {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/** BindAddress is where a server listens. */
export interface BindAddress {
  host: string;
  port: number;
}

/** parseBindAddress splits `host:port` or `[v6]:port`; an empty address means disabled (undefined); port 0 (any free port) only when allowed. */
export function parseBindAddress(addr: string, anyPort = false): BindAddress | undefined {
  if (addr === "") return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]*)):(\d{1,5})$/.exec(addr);
  const port = Number(m?.[3]);
  if (!m || port < (anyPort ? 0 : 1) || port > 65535) throw new Error(`invalid bind address "${addr}": use host:port, e.g. 0.0.0.0:10256`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

/** serveHttp listens on host:port (all addresses without host) and answers each request with page(path); no page is a 404. */
export function serveHttp(
  port: number,
  host: string | undefined,
  page: (path: string) => Page | undefined | Promise<Page | undefined>,
): Promise<Server> {
  const srv = createServer((req, res) => {
    Promise.resolve(page((req.url ?? "").split("?")[0] ?? "")).then(
      (p) => (p ? res.writeHead(p.status, p.headers).end(p.body) : res.writeHead(404).end()),
      (e: Error) => res.writeHead(500).end(e.message),
    );
  });
  return new Promise((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(port, host, () => resolve(srv));
  });
}

/** closeServer stops a server and resolves once it has closed. */
export function closeServer(srv: Server): Promise<void> {
  return new Promise((r) => srv.close(() => r()));
}
