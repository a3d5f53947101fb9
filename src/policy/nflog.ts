/**
 * NFLOG capture read as it streams: `tcpdump -i nflog:G -U -w -` writes a pcap stream of link
 * type 239 (NFLOG), each packet a 4-byte header and TLVs in host byte order — the rule's prefix
 * (type 10) and the packet itself (type 9). This reads the stream chunk by chunk and decodes each
 * denied packet's addresses, protocol and ports.
 */
import { formatIP } from "../util/ip.js";

/** Denied is one logged packet. */
export interface Denied {
  time: Date;
  prefix: string;
  src: string;
  dst: string;
  protocol: string;
  sport?: number;
  dport?: number;
}

const LINKTYPE_NFLOG = 239;
const PROTOCOLS: Record<number, string> = { 1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6", 132: "SCTP" };

/** PcapReader decodes a pcap stream of NFLOG packets. */
export class PcapReader {
  private buf: Buffer = Buffer.alloc(0);
  private le: boolean | undefined;

  /** push adds a chunk and returns the packets it completed. */
  push(chunk: Buffer): Denied[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    if (this.le === undefined) {
      if (this.buf.length < 24) return [];
      const magic = this.buf.readUInt32LE(0);
      if (magic !== 0xa1b2c3d4 && magic !== 0xd4c3b2a1) throw new Error("failed to read NFLOG capture: not a pcap stream");
      this.le = magic === 0xa1b2c3d4;
      const link = this.le ? this.buf.readUInt32LE(20) : this.buf.readUInt32BE(20);
      if (link !== LINKTYPE_NFLOG) throw new Error(`failed to read NFLOG capture: link type ${link}, not NFLOG`);
      this.buf = this.buf.subarray(24);
    }
    const out: Denied[] = [];
    while (this.buf.length >= 16) {
      const u32 = (o: number) => (this.le ? this.buf.readUInt32LE(o) : this.buf.readUInt32BE(o));
      const len = u32(8);
      if (this.buf.length < 16 + len) break;
      const time = new Date(u32(0) * 1000 + Math.floor(u32(4) / 1000));
      const d = decodeNflog(this.buf.subarray(16, 16 + len), time);
      if (d) out.push(d);
      this.buf = this.buf.subarray(16 + len);
    }
    return out;
  }
}

/** decodeNflog reads one NFLOG record's prefix and packet (TLV lengths and types are host order: little endian here). */
export function decodeNflog(rec: Buffer, time: Date): Denied | undefined {
  let prefix = "";
  let payload: Buffer | undefined;
  for (let o = 4; o + 4 <= rec.length;) {
    const len = rec.readUInt16LE(o);
    const type = rec.readUInt16LE(o + 2) & 0x7fff;
    if (len < 4) break;
    const value = rec.subarray(o + 4, o + len);
    if (type === 10) prefix = value.toString().replace(/\0+$/, "");
    if (type === 9) payload = value;
    o += (len + 3) & ~3;
  }
  return payload ? { time, prefix, ...decodeIp(payload) } : undefined;
}

function decodeIp(p: Buffer): Omit<Denied, "time" | "prefix"> {
  const v = (p[0] ?? 0) >> 4;
  let proto: number;
  let l4: number;
  let src: string;
  let dst: string;
  if (v === 6) {
    proto = p[6] ?? 0;
    l4 = 40;
    const addr = (a: number) => formatIP(6, BigInt(`0x${p.subarray(a, a + 16).toString("hex")}`));
    src = addr(8);
    dst = addr(24);
  } else {
    proto = p[9] ?? 0;
    l4 = ((p[0] ?? 0) & 0x0f) * 4;
    src = [...p.subarray(12, 16)].join(".");
    dst = [...p.subarray(16, 20)].join(".");
  }
  const protocol = PROTOCOLS[proto] ?? String(proto);
  const ports =
    (proto === 6 || proto === 17 || proto === 132) && p.length >= l4 + 4
      ? { sport: p.readUInt16BE(l4), dport: p.readUInt16BE(l4 + 2) }
      : {};
  return { src, dst, protocol, ...ports };
}
