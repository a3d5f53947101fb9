/**
 * The cluster DNS server: UDP and TCP on port 53 (or any), answering the cluster zone from the
 * index and forwarding everything else upstream. A UDP answer larger than the client can take
 * (512 bytes, or its EDNS buffer size) is cut to what fits and marked truncated (wire.ts), so the
 * client asks again over TCP. Encoded zone answers are kept per question until the index changes: a
 * repeated question costs a map lookup and a two-byte ID patch.
 */
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server } from "node:net";
import * as packet from "dns-packet";
import ipaddr from "ipaddr.js";
import { answerReverse, answerZone, type PodMode, type ZoneResult } from "./answer.js";
import { forward, type Upstream } from "./forward.js";
import { inZone, isReverse, reverseAddress } from "./names.js";
import { encodeMessage } from "./wire.js";
import type { DnsIndex } from "./records.js";

/** DnsServerOptions configure a server. */
export interface DnsServerOptions {
  podMode: PodMode;
  upstreams: Upstream[];
  /** dnsIPs are the DNS Service's addresses, given as the zone's NS glue. */
  dnsIPs: string[];
  log: (line: string) => void;
  /** observe sees every answered query (metrics.ts counts them); none when metrics are off. */
  observe?: (q: QueryRecord) => void;
}

/** How is where an answer came from. */
export type How = "cache" | "zone" | "forward" | "error";

/** QueryRecord is one answered query, as the metrics count it. */
export interface QueryRecord {
  proto: "udp" | "tcp";
  qtype: number;
  rcode: number;
  how: How;
  seconds: number;
}

/** qtypeOf reads the first question's type from a raw message (0 when it cannot). */
export function qtypeOf(msg: Buffer): number {
  let i = 12;
  while (i < msg.length && msg[i] !== 0) i += ((msg[i] as number) & 0xc0) === 0xc0 ? msg.length : (msg[i] as number) + 1;
  return i + 2 < msg.length ? msg.readUInt16BE(i + 1) : 0;
}

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const EDNS_SIZE = 1232;
const CACHE_MAX = 50_000;

/** DnsServer answers DNS over UDP and TCP. */
export class DnsServer {
  private index: DnsIndex | undefined;
  private cache = new Map<string, Buffer>();
  private readonly udp: Socket[] = [];
  private readonly tcp: Server[] = [];
  /** queries counts the questions answered, by how. */
  readonly queries = { zone: 0, forwarded: 0, failed: 0 };

  constructor(private readonly opts: DnsServerOptions) {}

  /** setIndex replaces the data the zone is answered from. */
  setIndex(ix: DnsIndex): void {
    this.index = ix;
    this.cache.clear();
  }

  /** listen opens UDP and TCP on each address and returns the port (the one given, or the one picked for 0). */
  async listen(addresses: string[], port: number): Promise<number> {
    for (const host of addresses) {
      const v6 = ipaddr.parse(host).kind() === "ipv6";
      const u = createSocket({ type: v6 ? "udp6" : "udp4", ipv6Only: v6 });
      u.on("message", (msg, rinfo) => {
        void this.respond(msg, false).then((r) => r && u.send(r, rinfo.port, rinfo.address));
      });
      await new Promise<void>((res, rej) => u.once("error", rej).bind(port, host, () => res()));
      port = u.address().port;
      this.udp.push(u);
      const t = createServer((c) => this.serveTcp(c));
      await new Promise<void>((res, rej) => t.once("error", rej).listen({ port, host, ipv6Only: v6 }, () => res()));
      this.tcp.push(t);
    }
    return port;
  }

  /** close stops listening. */
  async close(): Promise<void> {
    for (const u of this.udp.splice(0)) u.close();
    await Promise.all(this.tcp.splice(0).map((t) => new Promise((r) => t.close(r))));
  }

  private serveTcp(c: import("node:net").Socket): void {
    let buf = Buffer.alloc(0);
    c.setTimeout(10_000, () => c.destroy());
    c.on("error", () => c.destroy());
    c.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const q = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + q.length);
        void this.respond(q, true).then((r) => {
          if (!r || c.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(r.length);
          c.write(Buffer.concat([len, r]));
        });
      }
    });
  }

  /** respond answers one wire-format query (undefined: drop it, it was not a query at all). */
  async respond(msg: Buffer, tcp: boolean): Promise<Buffer | undefined> {
    if (msg.length < 12 || (msg[2] as number) & 0x80) return undefined;
    const observe = this.opts.observe;
    if (!observe) return (await this.answer(msg, tcp))[0];
    const t0 = process.hrtime.bigint();
    const [r, how] = await this.answer(msg, tcp);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    observe({ proto: tcp ? "tcp" : "udp", qtype: qtypeOf(msg), rcode: (r[3] as number) & 0x0f, how, seconds });
    return r;
  }

  private async answer(msg: Buffer, tcp: boolean): Promise<[Buffer, How]> {
    const cacheKey = !tcp ? msg.toString("latin1", 2) : undefined;
    const hit = cacheKey !== undefined ? this.cache.get(cacheKey) : undefined;
    if (hit) {
      this.queries.zone++;
      const r = Buffer.from(hit);
      msg.copy(r, 0, 0, 2);
      return [r, "cache"];
    }
    let q: packet.Packet;
    try {
      q = packet.decode(msg);
    } catch {
      return [header(msg, RCODE.FORMERR), "error"];
    }
    const question = q.questions?.[0];
    if ((q.questions?.length ?? 0) !== 1 || !question) return [header(msg, RCODE.FORMERR), "error"];
    if (((q.flags ?? 0) >> 11) & 0xf) return [header(msg, RCODE.NOTIMP), "error"];
    const result = this.zoneResult(question);
    if (!result) return this.forwardQuery(msg, tcp);
    this.queries.zone++;
    if (result.chase) result.answers.push(...(await this.chase(result.chase, question.type)));
    const size = tcp ? 65535 : ednsSize(q);
    const r = encode(q, result, size);
    if (cacheKey !== undefined && !result.chase && this.cache.size < CACHE_MAX) this.cache.set(cacheKey, r);
    return [r, "zone"];
  }

  /** ready says whether the zone can be answered (an index was loaded). */
  get ready(): boolean {
    return this.index !== undefined;
  }

  /** cacheEntries is the number of encoded answers kept. */
  get cacheEntries(): number {
    return this.cache.size;
  }

  private zoneResult(question: packet.Question): ZoneResult | undefined {
    const ix = this.index;
    if (!ix) return undefined;
    const name = question.name.toLowerCase().replace(/\.$/, "");
    if (inZone(name, ix.zone)) return answerZone(ix, question, this.opts.podMode, this.opts.dnsIPs);
    if (!isReverse(name)) return undefined;
    const ip = reverseAddress(name);
    return ip ? answerReverse(ix, question, ip) : undefined;
  }

  private async forwardQuery(msg: Buffer, tcp: boolean): Promise<[Buffer, How]> {
    try {
      const r = await forward(msg, this.opts.upstreams, tcp);
      this.queries.forwarded++;
      return [r, "forward"];
    } catch (e) {
      this.queries.failed++;
      this.opts.log(`failed to forward a query upstream: ${(e as Error).message}`);
      return [header(msg, RCODE.SERVFAIL), "error"];
    }
  }

  /** chase resolves an ExternalName's target upstream, for the records that follow its CNAME. */
  private async chase(target: string, type: packet.RecordType): Promise<packet.Answer[]> {
    const query = packet.encode({ type: "query", id: 1, flags: packet.RECURSION_DESIRED, questions: [{ name: target, type }] });
    try {
      return (packet.decode(await forward(query, this.opts.upstreams, false)).answers ?? []) as packet.Answer[];
    } catch {
      return [];
    }
  }
}

function ednsSize(q: packet.Packet): number {
  const opt = (q.additionals ?? []).find((a) => a.type === "OPT") as { udpPayloadSize?: number } | undefined;
  return opt ? Math.max(512, Math.min(opt.udpPayloadSize ?? 512, 65535)) : 512;
}

/** encode writes the zone's response to q, sized for the client (its EDNS buffer over UDP). */
function encode(q: packet.Packet, r: ZoneResult, size: number): Buffer {
  const edns = (q.additionals ?? []).some((a) => a.type === "OPT");
  const opt = { name: ".", type: "OPT", udpPayloadSize: EDNS_SIZE, flags: 0, options: [] } as unknown as packet.Answer;
  const rd = (q.flags ?? 0) & packet.RECURSION_DESIRED;
  return encodeMessage(
    {
      id: q.id ?? 0,
      flags: packet.AUTHORITATIVE_ANSWER | packet.RECURSION_AVAILABLE | rd | RCODE[r.rcode],
      question: q.questions?.[0] as packet.Question,
      answers: r.answers,
      authorities: r.authority,
      additionals: [...r.additionals, ...(edns ? [opt] : [])],
    },
    size,
  );
}

/** header is a bare response to msg with an rcode: its ID and question echoed, no records. */
function header(msg: Buffer, rcode: number): Buffer {
  try {
    const q = packet.decode(msg);
    return packet.encode({
      id: q.id ?? 0,
      type: "response",
      flags: ((q.flags ?? 0) & packet.RECURSION_DESIRED) | rcode,
      questions: q.questions ?? [],
    });
  } catch {
    const r = Buffer.alloc(12);
    msg.copy(r, 0, 0, 2);
    r.writeUInt16BE(0x8000 | rcode, 2);
    return r;
  }
}
