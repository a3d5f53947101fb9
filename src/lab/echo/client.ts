/**
 * The lab's built-in client, run inside a pod's namespace by `podnet lab curl`: fetches an http:// URL
 * (prints the status line and body) or sends one datagram to a udp://host:port URL (prints the reply).
 */
import { createSocket } from "node:dgram";
import { request } from "node:http";
import { isIPv6 } from "node:net";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { timeout: { type: "string", default: "5000" }, data: { type: "string" } },
});
const url = new URL(positionals[0] ?? "");
const timeout = Number(values.timeout);

function fail(msg: string): never {
  process.stderr.write(`failed to fetch "${url.href}": ${msg}\n`);
  process.exit(1);
}

if (url.protocol === "udp:") {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const sock = createSocket(isIPv6(host) ? "udp6" : "udp4");
  const timer = setTimeout(() => fail(`no reply within ${timeout} ms`), timeout);
  sock.on("message", (m) => {
    clearTimeout(timer);
    process.stdout.write(m.toString());
    sock.close();
  });
  sock.on("error", (e) => fail(e.message));
  sock.send(values.data ?? "ping", Number(url.port), host);
} else if (url.protocol === "http:") {
  const req = request(url, { method: values.data ? "POST" : "GET", timeout, agent: false }, (res) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("end", () => {
      process.stdout.write(
        `HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage}\n${Buffer.concat(chunks).toString()}`,
      );
    });
  });
  req.on("timeout", () => req.destroy(new Error(`timed out after ${timeout} ms`)));
  req.on("error", (e) => fail(e.message));
  req.end(values.data);
} else fail(`unsupported scheme "${url.protocol}" (use http:// or udp://)`);
