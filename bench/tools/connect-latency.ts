/** connect-latency HOST PORT COUNT: opens COUNT TCP connections one after another and prints the connect times' percentiles (µs) as JSON. */
import { connect } from "node:net";

const [host = "", port = "80", count = "1000"] = process.argv.slice(2);
const times: number[] = [];
for (let i = 0; i < Number(count); i++) {
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const s = connect({ host, port: Number(port) }, () => {
      times.push(Number(process.hrtime.bigint() - t0) / 1000);
      s.destroy();
      resolve();
    });
    s.on("error", reject);
  });
}
times.sort((a, b) => a - b);
const at = (q: number) => Math.round(times[Math.floor(q * (times.length - 1))] ?? 0);
process.stdout.write(`${JSON.stringify({ count: times.length, p50: at(0.5), p90: at(0.9), p99: at(0.99) })}\n`);
