/**
 * The lab pods' workload: an HTTP server on each declared TCP port and a UDP echo on each UDP port,
 * answering with the pod's name, IP and node and the client address it saw (so tests can tell SNAT
 * from a preserved source). `GET /bytes/N` returns N bytes, for MTU tests. Prints "ready" once bound.
 */
import { createSocket } from "node:dgram";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    pod: { type: "string", default: "" },
    node: { type: "string", default: "" },
    ip: { type: "string", default: "" },
    tcp: { type: "string", default: "" },
    udp: { type: "string", default: "" },
    /** bind lists the addresses to listen on (every one when empty): the external host leaves its resolver's address to dnsmasq. */
    bind: { type: "string", default: "" },
  },
});
const hosts = (values.bind ?? "").split(",").filter(Boolean);
const [namespace, pod] = (values.pod ?? "").split("/");
const ports = (s: string | undefined) => (s ?? "").split(",").filter(Boolean).map(Number);

function unmap(addr: string | undefined): string {
  return (addr ?? "").replace(/^::ffff:/, "");
}

function answer(client: string, clientPort: number, port: number, proto: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    pod,
    namespace,
    node: values.node,
    podIP: (values.ip ?? "").split(",")[0],
    podIPs: (values.ip ?? "").split(",").filter(Boolean),
    client,
    clientPort,
    port,
    protocol: proto,
    ...extra,
  });
}

function listenTcp(port: number, host: string): Promise<void> {
  const server = createServer((req, res) => {
    const m = /^\/bytes\/(\d{1,8})$/.exec(req.url ?? "");
    if (m) {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      return res.end(Buffer.alloc(Number(m[1]), "x"));
    }
    let size = 0;
    req.on("data", (b: Buffer) => (size += b.length));
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        `${answer(unmap(req.socket.remoteAddress), req.socket.remotePort ?? 0, port, "TCP", { method: req.method, path: req.url, bodyBytes: size })}\n`,
      );
    });
  });
  server.keepAliveTimeout = 1000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host, ipv6Only: false }, () => resolve());
  });
}

function listenUdp(port: number, host: string): Promise<void> {
  const sock = createSocket({ type: host.includes(".") ? "udp4" : "udp6", ipv6Only: false });
  sock.on("message", (_msg, rinfo) => {
    sock.send(`${answer(unmap(rinfo.address), rinfo.port, port, "UDP")}\n`, rinfo.port, rinfo.address);
  });
  return new Promise((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(port, host, () => resolve());
  });
}

const on = hosts.length > 0 ? hosts : ["::"];
await Promise.all(on.flatMap((h) => [...ports(values.tcp).map((p) => listenTcp(p, h)), ...ports(values.udp).map((p) => listenUdp(p, h))]));
process.on("SIGTERM", () => process.exit(0));
process.stdout.write("ready\n");
