/**
 * The lab's built-in client, run inside a pod's (or node's, or the external host's) namespace by
 * `podnet lab curl`: fetches an http:// URL (prints the status line and body) or sends one datagram
 * to a udp://host:port URL (prints the reply). With --count N it makes N requests, each on a new
 * connection (a new source port), and prints one line per answer: the body, or {"error": …}.
 * --sport fixes the UDP source port, to exercise conntrack's memory of a "connection".
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
  },
});
const url = new URL(positionals[0] ?? "");
const timeout = Number(values.timeout);

function udp(): Promise<string> {
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

function http(): Promise<{ head: string; body: string }> {
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

async function once(): Promise<{ head?: string; body: string }> {
  if (url.protocol === "udp:") return { body: await udp() };
  if (url.protocol === "http:") return http();
  throw new Error(`unsupported scheme "${url.protocol}" (use http:// or udp://)`);
}

if (values.count === undefined) {
  try {
    const r = await once();
    process.stdout.write(r.head ? `${r.head}\n${r.body}` : r.body);
  } catch (e) {
    process.stderr.write(`failed to fetch "${url.href}": ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
} else {
  for (let i = 0; i < Number(values.count); i++) {
    try {
      process.stdout.write(`${(await once()).body.trim()}\n`);
    } catch (e) {
      process.stdout.write(`${JSON.stringify({ error: (e as Error).message })}\n`);
      process.exitCode = 1;
    }
  }
}
