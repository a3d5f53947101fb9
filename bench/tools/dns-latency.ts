/**
 * dns-latency HOST PORT QPS SECONDS NAME…: asks A questions for the names, round robin, at QPS
 * (paced, not flooding) for SECONDS over one UDP socket, and prints the answers' latency
 * percentiles (µs) and how many went unanswered within a second as JSON.
 */
import { createSocket } from "node:dgram";
import * as packet from "dns-packet";

const [host = "127.0.0.1", port = "53", qps = "1000", seconds = "3", ...names] = process.argv.slice(2);
const sock = createSocket("udp4");
const sent = new Map<number, bigint>();
const times: number[] = [];
sock.on("message", (m) => {
  const id = m.readUInt16BE(0);
  const t0 = sent.get(id);
  if (t0 === undefined) return;
  sent.delete(id);
  times.push(Number(process.hrtime.bigint() - t0) / 1000);
});
await new Promise<void>((r) => sock.bind(0, r));
const total = Number(qps) * Number(seconds);
const queries = names.map((name) =>
  packet.encode({ type: "query", id: 0, flags: packet.RECURSION_DESIRED, questions: [{ name, type: "A" }] }),
);
const start = performance.now();
for (let i = 0; i < total; i++) {
  const due = start + (i * 1000) / Number(qps);
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  const q = Buffer.from(queries[i % queries.length] as Buffer);
  const id = i & 0xffff;
  q.writeUInt16BE(id, 0);
  sent.set(id, process.hrtime.bigint());
  sock.send(q, Number(port), host);
}
await new Promise((r) => setTimeout(r, 1000));
sock.close();
times.sort((a, b) => a - b);
const at = (p: number) => Math.round(times[Math.floor(p * (times.length - 1))] ?? 0);
process.stdout.write(`${JSON.stringify({ sent: total, answered: times.length, p50: at(0.5), p99: at(0.99), max: at(1) })}\n`);
