/**
 * hold-connection HOST PORT DURATION_MS INTERVAL_MS: sends an HTTP/1.1 GET every INTERVAL_MS for
 * DURATION_MS over one TCP connection and prints JSON: answers received, requests unanswered
 * within a second, and whether the connection closed early. (A raw socket: node's keep-alive agent
 * drops connections whose server announces a one-second keep-alive, as the lab's echo server does.)
 */
import { connect } from "node:net";

const [host = "", port = "80", duration = "5000", interval = "250"] = process.argv.slice(2);
let answered = 0;
let sent = 0;
let closed = false;
const sock = connect({ host, port: Number(port) });
sock.on("data", (b: Buffer) => {
  answered += b.toString().split("HTTP/1.1 200").length - 1;
});
sock.on("close", () => {
  closed = true;
});
sock.on("error", () => {
  closed = true;
});
await new Promise<void>((resolve) => sock.once("connect", resolve).once("error", () => resolve()));
const end = Date.now() + Number(duration);
while (Date.now() < end && !closed) {
  sock.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  sent++;
  await new Promise((r) => setTimeout(r, Number(interval)));
}
await new Promise((r) => setTimeout(r, 1000));
sock.destroy();
process.stdout.write(`${JSON.stringify({ sent, answered, closedEarly: closed })}\n`);
