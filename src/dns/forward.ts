/**
 * Forwarding to upstream resolvers, as CoreDNS's `forward` plugin does for names outside the
 * cluster zone: the query goes as it came, to each upstream in turn, over the transport the
 * client used (a truncated UDP answer goes back truncated, and the client retries over TCP), and
 * the upstream's answer returns unchanged. Sockets are per query and closed at once; a silent upstream costs its timeout.
 */
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import ipaddr from "ipaddr.js";

/** Upstream is a resolver's address. */
export interface Upstream {
  host: string;
  port: number;
}

/** parseUpstream reads `IP`, `IP:PORT` or `[IPv6]:PORT`. */
export function parseUpstream(s: string): Upstream {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s) ?? [s, s, undefined];
  const host = m[1] as string;
  const port = Number(m[2] ?? 53);
  if (!ipaddr.isValid(host) || !(port > 0 && port < 65536)) throw new Error(`invalid upstream "${s}": want IP[:PORT]`);
  return { host, port };
}

function viaUdp(query: Buffer, up: Upstream, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(ipaddr.parse(up.host).kind() === "ipv4" ? "udp4" : "udp6");
    const done = (e: Error | undefined, b?: Buffer) => {
      clearTimeout(timer);
      sock.close();
      if (e) reject(e);
      else resolve(b as Buffer);
    };
    const timer = setTimeout(() => done(new Error(`no answer from ${up.host}:${up.port} within ${timeoutMs} ms`)), timeoutMs);
    sock.on("error", (e) => done(e));
    sock.on("message", (b) => {
      if (b.length >= 2 && b.readUInt16BE(0) === query.readUInt16BE(0)) done(undefined, b);
    });
    sock.send(query, up.port, up.host);
  });
}

function viaTcp(query: Buffer, up: Upstream, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: up.host, port: up.port });
    let got = Buffer.alloc(0);
    const done = (e: Error | undefined, b?: Buffer) => {
      clearTimeout(timer);
      sock.destroy();
      if (e) reject(e);
      else resolve(b as Buffer);
    };
    const timer = setTimeout(() => done(new Error(`no answer from ${up.host}:${up.port} over TCP within ${timeoutMs} ms`)), timeoutMs);
    sock.on("error", (e) => done(e));
    sock.on("data", (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) done(undefined, got.subarray(2, 2 + got.readUInt16BE(0)));
    });
    const len = Buffer.alloc(2);
    len.writeUInt16BE(query.length);
    sock.write(Buffer.concat([len, query]));
  });
}

/** forward asks the upstreams in turn and returns the first answer; it throws with every upstream's reason when none answers. */
export async function forward(query: Buffer, upstreams: Upstream[], tcp: boolean, timeoutMs = 2000): Promise<Buffer> {
  const why: string[] = [];
  for (const up of upstreams) {
    try {
      return await (tcp ? viaTcp : viaUdp)(query, up, timeoutMs);
    } catch (e) {
      why.push((e as Error).message);
    }
  }
  throw new Error(why.length ? why.join("; ") : "no upstream configured");
}
