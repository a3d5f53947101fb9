/** `npm run bench -- <name>`: runs one benchmark and prints its JSON. */
import { RealExecutor } from "../src/exec/real.js";
import { cleanupOnInterrupt } from "./interrupt.js";
import { benchCni } from "./cni.js";
import { benchDns } from "./dns.js";
import { benchLab } from "./lab.js";
import { benchPolicy } from "./policy.js";
import { benchProxy } from "./proxy.js";
import { benchQos } from "./qos.js";
import { benchRouting } from "./routing.js";
import { benchScale } from "./scale.js";
import { benchUi } from "./ui.js";

const BENCHES: Record<string, () => Promise<Record<string, unknown>>> = {
  cni: () => benchCni(process.argv[3] ? Number(process.argv[3]) : undefined, process.argv[4] ? Number(process.argv[4]) : undefined),
  dns: () =>
    benchDns(process.argv[3] ? process.argv[3].split(",").map(Number) : undefined, process.argv[4] ? Number(process.argv[4]) : undefined),
  lab: () => benchLab(),
  policy: () => benchPolicy(process.argv[3] ? Number(process.argv[3]) : undefined),
  qos: () => benchQos(process.argv[3] ? Number(process.argv[3]) : undefined),
  proxy: () => benchProxy(process.argv[3] ? process.argv[3].split(",").map(Number) : undefined),
  routing: () => benchRouting(process.argv[3]?.split(","), process.argv[4] ? Number(process.argv[4]) : undefined),
  scale: () => benchScale(process.argv[3] ? process.argv[3].split(",").map(Number) : undefined),
  ui: () => benchUi(process.argv[3] ? Number(process.argv[3]) : undefined, process.argv[4] ? Number(process.argv[4]) : undefined),
};

const name = process.argv[2] ?? "";
const run = BENCHES[name];
if (!run) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(BENCHES).join("|")}>\n`);
  process.exit(2);
}
cleanupOnInterrupt(new RealExecutor());
process.stdout.write(`${JSON.stringify(await run(), null, 2)}\n`);
