/**
 * The lab's built-in client, run inside a pod's (or node's, or the external host's) namespace by
 * `podnet lab curl`: fetches an http:// URL (prints the status line and body) or sends one datagram
 * to a udp://host:port URL (prints the reply). With --count N it makes N requests, each on a new
 * connection (a new source port), and prints one line per answer: the body, or {"error": …}.
 * Given several URLs it fetches each once (in parallel), one line per URL in order — a
 * reachability row for matrix tests.
 * --sport fixes the UDP source port, to exercise conntrack's memory of a "connection"; --interval
 * spaces the --count requests (ms from one start to the next).
 */
import { createSocket } from "node:dgram";
import { request } from "node:http";
import { isIPv6 } from "node:net";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    timeout: { type: "string", default: "5000" },
    data: { type: "string" },
    count: { type: "string" },
    sport: { type: "string" },
    interval: { type: "string", default: "0" },
  },
});
const urls = positionals.map((u) => new URL(u));
const timeout = Number(values.timeout);

function udp(url: URL): Promise<string> {
  return new Promise((resolve, reject) => {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const sock = createSocket(isIPv6(host) ? "udp6" : "udp4");
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no reply within ${timeout} ms`));
    }, timeout);
    sock.on("message", (m) => {
      clearTimeout(timer);
      sock.close();
      resolve(m.toString());
    });
    sock.on("error", (e) => {
      clearTimeout(timer);
      sock.close();
      reject(e);
    });
    const send = () => sock.send(values.data ?? "ping", Number(url.port), host);
    if (values.sport) sock.bind(Number(values.sport), send);
    else send();
  });
}

function http(url: URL): Promise<{ head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: values.data ? "POST" : "GET", timeout, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ head: `HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage}`, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeout} ms`)));
    req.on("error", reject);
    req.end(values.data);
  });
}

async function once(url: URL): Promise<{ head?: string; body: string }> {
  if (url.protocol === "udp:") return { body: await udp(url) };
  if (url.protocol === "http:") return http(url);
  throw new Error(`unsupported scheme "${url.protocol}" (use http:// or udp://)`);
}

async function line(url: URL): Promise<string> {
  try {
    return `${(await once(url)).body.trim()}\n`;
  } catch (e) {
    process.exitCode = 1;
    return `${JSON.stringify({ error: (e as Error).message })}\n`;
  }
}

const [first] = urls;
if (!first) {
  process.stderr.write("give a URL\n");
  process.exitCode = 2;
} else if (urls.length > 1) {
  for (const l of await Promise.all(urls.map(line))) process.stdout.write(l);
} else if (values.count === undefined) {
  try {
    const r = await once(first);
    process.stdout.write(r.head ? `${r.head}\n${r.body}` : r.body);
  } catch (e) {
    process.stderr.write(`failed to fetch "${first.href}": ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
} else {
  // With --interval, requests start that many ms apart (a steady client loop), each waiting for its answer.
  const gap = Number(values.interval);
  for (let i = 0; i < Number(values.count); i++) {
    const t0 = Date.now();
    process.stdout.write(await line(first));
    if (gap > 0 && i + 1 < Number(values.count)) await new Promise((r) => setTimeout(r, Math.max(0, gap - (Date.now() - t0))));
  }
}
