import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDenied } from "./deniedlog.js";
import { PcapReader } from "./nflog.js";

/** tlv is one NFLOG attribute: length and type in little-endian, value padded to 4 bytes. */
function tlv(type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(4 + value.length, 0);
  head.writeUInt16LE(type, 2);
  return Buffer.concat([head, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
}

function ipv4Tcp(src: number[], dst: number[], sport: number, dport: number): Buffer {
  const p = Buffer.alloc(40);
  p[0] = 0x45;
  p[9] = 6;
  p.set(src, 12);
  p.set(dst, 16);
  p.writeUInt16BE(sport, 20);
  p.writeUInt16BE(dport, 22);
  return p;
}

function pcap(records: Buffer[]): Buffer {
  const g = Buffer.alloc(24);
  g.writeUInt32LE(0xa1b2c3d4, 0);
  g.writeUInt16LE(2, 4);
  g.writeUInt16LE(4, 6);
  g.writeUInt32LE(262144, 16);
  g.writeUInt32LE(239, 20);
  return Buffer.concat([
    g,
    ...records.map((r, i) => {
      const h = Buffer.alloc(16);
      h.writeUInt32LE(1_796_000_000 + i, 0);
      h.writeUInt32LE(250_000, 4);
      h.writeUInt32LE(r.length, 8);
      h.writeUInt32LE(r.length, 12);
      return Buffer.concat([h, r]);
    }),
  ]);
}

test("an NFLOG pcap stream decodes packet by packet, however it is cut", () => {
  const rec = (prefix: string, dport: number) =>
    Buffer.concat([
      Buffer.from([2, 0, 0, 100]),
      tlv(1, Buffer.alloc(4)),
      tlv(10, Buffer.from(`${prefix}\0`)),
      tlv(9, ipv4Tcp([10, 244, 0, 10], [10, 244, 1, 11], 40000, dport)),
    ]);
  const stream = pcap([rec("I y/deny-all", 81), rec("E x/p1,x/p2 +3", 80)]);
  const r = new PcapReader();
  const got = [...stream].flatMap((_b, i) => r.push(stream.subarray(i, i + 1)));
  assert.equal(got.length, 2);
  assert.deepEqual(
    { ...got[0], time: undefined },
    { time: undefined, prefix: "I y/deny-all", src: "10.244.0.10", dst: "10.244.1.11", protocol: "TCP", sport: 40000, dport: 81 },
  );
  const names = new Map([
    ["10.244.0.10", "x/a"],
    ["10.244.1.11", "y/b"],
  ]);
  assert.equal(formatDenied(got[0]!, names), `${got[0]!.time.toISOString()} x/a -> y/b:81/TCP denied by ingress of y/deny-all`);
  assert.match(formatDenied(got[1]!, new Map()), /Z 10\.244\.0\.10 -> 10\.244\.1\.11:80\/TCP denied by egress of x\/p1, x\/p2 \+3$/);
  assert.throws(() => new PcapReader().push(Buffer.alloc(24)), /not a pcap stream/);
});
