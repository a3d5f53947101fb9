/**
 * Response encoding on top of dns-packet's record codecs, adding what its encoder leaves out:
 * owner-name compression (RFC 1035 4.1.4) — every record whose owner was written before points
 * back to it, so 60 A records of one name take 16 bytes each, not 40 — and truncation: a
 * response too big for the client keeps the answers that fit, drops the rest of the message and
 * sets TC, so the client asks again over TCP.
 */
import * as packet from "dns-packet";

interface Codec<T> {
  encode(v: T, buf?: Buffer, offset?: number): unknown;
  encodingLength(v: T): number;
}
const codecs = packet as unknown as {
  answer: Codec<packet.Answer>;
  question: Codec<packet.Question>;
  name: { encodingLength(n: string): number };
};

/** write encodes into a buffer of its own (dns-packet's question encoder returns its input, not the buffer). */
function write<T>(c: Codec<T>, v: T): Buffer {
  const b = Buffer.alloc(c.encodingLength(v));
  c.encode(v, b, 0);
  return b;
}

/** Message is a response to encode. */
export interface Message {
  id: number;
  flags: number;
  question: packet.Question;
  answers: packet.Answer[];
  authorities: packet.Answer[];
  additionals: packet.Answer[];
}

/** encodeMessage writes a response whose UDP limit is size bytes (65535 over TCP). */
export function encodeMessage(m: Message, size: number): Buffer {
  const q = write(codecs.question, m.question);
  const offsets = new Map<string, number>([[m.question.name.toLowerCase(), 12]]);
  let at = 12 + q.length;
  const rr = (a: packet.Answer): Buffer => {
    const full = write(codecs.answer, a);
    const owner = a.name.toLowerCase();
    const ptr = offsets.get(owner);
    const out =
      ptr === undefined
        ? full
        : Buffer.concat([Buffer.from([0xc0 | (ptr >> 8), ptr & 0xff]), full.subarray(codecs.name.encodingLength(a.name))]);
    if (ptr === undefined && at < 0x3fff) offsets.set(owner, at);
    at += out.length;
    return out;
  };
  const sections = [m.answers.map(rr), m.authorities.map(rr), m.additionals.map(rr)];
  const head = (counts: number[], tc: boolean) => {
    const h = Buffer.alloc(12);
    h.writeUInt16BE(m.id, 0);
    h.writeUInt16BE((m.flags | 0x8000 | (tc ? packet.TRUNCATED_RESPONSE : 0)) & 0xffff, 2);
    h.writeUInt16BE(1, 4);
    counts.forEach((c, i) => h.writeUInt16BE(c, 6 + 2 * i));
    return h;
  };
  const total = 12 + q.length + sections.flat().reduce((n, b) => n + b.length, 0);
  if (total <= size)
    return Buffer.concat([
      head(
        sections.map((s) => s.length),
        false,
      ),
      q,
      ...sections.flat(),
    ]);
  const kept: Buffer[] = [];
  let len = 12 + q.length;
  for (const b of sections[0] ?? []) {
    if (len + b.length > size) break;
    kept.push(b);
    len += b.length;
  }
  return Buffer.concat([head([kept.length, 0, 0], true), q, ...kept]);
}
