/**
 * The podnet-cni agent: a long-running process in a node's network namespace that serves the CNI
 * calls the native podnet-cni shim (src/cni/shim/podnet-cni.c) hands it over a unix socket, running
 * the same `run` the standalone plugin runs. A runtime then pays for a tiny native process per call
 * instead of a Node.js start. Calls are independent: IPAM reserves addresses with O_EXCL files and
 * bridge creation tolerates a concurrent creator, exactly as for concurrent plugin processes.
 */
import { chmodSync, mkdirSync, statSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import { RealExecutor } from "../exec/real.js";
import type { Executor } from "../exec/types.js";
import { HOST_IP_BATCH } from "./datapath.js";
import { run } from "./main.js";
import { CniCode, CniError } from "./types.js";

/** AGENT_SOCKET is where the shim looks for the agent unless PODNET_CNI_SOCKET names another path. */
export const AGENT_SOCKET = "/run/podnet/cni.sock";
/** SHIM_NETNS_KEY carries the inode of the caller's network namespace. */
export const SHIM_NETNS_KEY = "PODNET_SHIM_NETNS";
const MAX_REQUEST = 4 << 20;

/** AgentRequest is one decoded call: its CNI_* environment and its network configuration. */
export interface AgentRequest {
  env: Record<string, string>;
  stdin: string;
}

/** parseRequest decodes NUL-terminated KEY=VALUE entries, an empty entry, then the configuration. */
export function parseRequest(buf: Buffer): AgentRequest {
  const env: Record<string, string> = {};
  let at = 0;
  for (;;) {
    const end = buf.indexOf(0, at);
    if (end < 0) throw new CniError(CniCode.DecodeFailure, "failed to decode podnet-cni shim request: no end of environment");
    if (end === at) break;
    const entry = buf.toString("utf8", at, end);
    const eq = entry.indexOf("=");
    if (eq <= 0) throw new CniError(CniCode.DecodeFailure, `failed to decode podnet-cni shim request: bad entry "${entry}"`);
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
    at = end + 1;
  }
  return { env, stdin: buf.toString("utf8", at + 1) };
}

/** encodeRequest is parseRequest's inverse (what the shim sends), for tests and Node callers. */
export function encodeRequest(r: AgentRequest): Buffer {
  const entries = Object.entries(r.env).map(([k, v]) => `${k}=${v}\0`);
  return Buffer.from(`${entries.join("")}\0${r.stdin}`);
}

/** formatReply is the answer the shim prints: exit code, newline, stdout. */
export function formatReply(out: string, code: number): string {
  return `${code}\n${out ? `${out}\n` : ""}`;
}

/** answer runs one decoded call, refusing callers from another network namespace. */
export async function answer(exec: Executor, req: AgentRequest, ownNetns: string): Promise<string> {
  const caller = req.env[SHIM_NETNS_KEY];
  if (caller !== undefined && caller !== ownNetns) {
    const e = new CniError(
      CniCode.Internal,
      `failed to serve CNI call: the caller is in network namespace ${caller}, this agent serves ${ownNetns} (check PODNET_CNI_SOCKET and the config's agentSocket)`,
    );
    return formatReply(JSON.stringify(e.toJSON("1.1.0")), 1);
  }
  const { out, code } = await run(exec, req.env, req.stdin);
  return formatReply(out, code);
}

/** AgentLog receives one line per call (command, container, interface, exit code, duration). */
export type AgentLog = (line: string) => void;

function logLine(req: AgentRequest | undefined, reply: string, ms: number): string {
  const e = req?.env ?? {};
  return `${new Date().toISOString()} ${e.CNI_COMMAND ?? "?"} container=${e.CNI_CONTAINERID ?? ""} ifname=${e.CNI_IFNAME ?? ""} exit=${reply.slice(0, reply.indexOf("\n"))} ${ms.toFixed(1)}ms\n`;
}

function serveConnection(exec: Executor, sock: Socket, ownNetns: string, log?: AgentLog): void {
  const chunks: Buffer[] = [];
  let size = 0;
  sock.on("data", (b: Buffer) => {
    size += b.length;
    if (size > MAX_REQUEST) sock.destroy();
    else chunks.push(b);
  });
  sock.on("error", () => {}); // the shim was killed; the call still completes, as a killed plugin's would not
  sock.on("end", () => {
    const start = performance.now();
    let req: AgentRequest | undefined;
    let reply: Promise<string>;
    try {
      req = parseRequest(Buffer.concat(chunks));
      reply = answer(exec, req, ownNetns);
    } catch (e) {
      reply = Promise.resolve(formatReply(JSON.stringify((e as CniError).toJSON("1.1.0")), 1));
    }
    void reply.then((text) => {
      sock.end(text);
      log?.(logLine(req, text, performance.now() - start));
    });
  });
}

async function inUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(path);
    c.on("connect", () => (c.destroy(), resolve(true)));
    c.on("error", () => resolve(false));
  });
}

/** serveAgent listens on path (mode 0600, in a 0700 directory it creates) until the server is closed; log gets a line per call. */
export async function serveAgent(exec: Executor, path: string, log?: AgentLog): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (await inUse(path)) throw new CniError(CniCode.Internal, `failed to serve CNI agent socket "${path}": another agent answers there`);
  try {
    unlinkSync(path); // a stale socket of an agent that died
  } catch {}
  const ownNetns = String(statSync("/proc/self/ns/net").ino);
  const server = createServer({ allowHalfOpen: true }, (s) => serveConnection(exec, s, ownNetns, log));
  const umask = process.umask(0o177); // the socket is created 0600: no window in which others may connect
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(umask);
  }
  chmodSync(path, 0o600);
  server.on("close", () => {
    try {
      unlinkSync(path);
    } catch {}
  });
  return server;
}

/** runAgent is the agent process: serve path, log each call on stderr, print "ready", close on SIGTERM/SIGINT (calls in flight finish). */
export async function runAgent(path: string = AGENT_SOCKET): Promise<void> {
  const state: { server?: Server; stopping: boolean } = { stopping: false };
  // every ADD and DEL starts the node side's `ip -j -batch -` (see cmdAddWith): keep one started
  const exec = new RealExecutor({ spares: [HOST_IP_BATCH] });
  for (const sig of ["SIGTERM", "SIGINT"] as const)
    process.once(sig, () => {
      state.stopping = true;
      state.server?.close(() => exec.close());
    });
  try {
    state.server = await serveAgent(exec, path, (line) => process.stderr.write(line));
  } catch (e) {
    exec.close(); // a spare `ip` would keep this process alive
    throw e;
  }
  if (state.stopping) state.server.close(() => exec.close());
  else process.stdout.write("ready\n");
}
