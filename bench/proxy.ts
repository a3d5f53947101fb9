/**
 * `npm run bench -- proxy`: for 1 000 and 10 000 services × 3 endpoints, with iptables-nft and
 * iptables-legacy, each case in its own process (see proxy-case.ts). Prints every case and whether
 * the goals hold: podnet's own time ≤ 25 % of iptables' time, and a one-endpoint change ≤ 1.2 × a
 * bare iptables-restore of the chains it rewrote.
 */
import { fileURLToPath } from "node:url";
import { RealExecutor } from "../src/exec/real.js";

const CASE = fileURLToPath(new URL("./proxy-case.js", import.meta.url));

interface Case {
  firstSync: { ratio: number };
  fullResync: { ratio: number };
  oneEndpointChange: { ratioToBare: number; runs: { podnetMs: number; iptablesMs: number }[] };
}

/** benchProxy runs every case and summarises the goals. */
export async function benchProxy(sizes = [1000, 10000]): Promise<Record<string, unknown>> {
  const exec = new RealExecutor();
  const cases: Case[] = [];
  for (const n of sizes)
    for (const flavour of ["nft", "legacy"]) {
      const r = await exec.run({ argv: [process.execPath, CASE, flavour, String(n)], netns: null, timeoutMs: 1_800_000 });
      process.stderr.write(`${flavour} ${n}: done\n`);
      cases.push(JSON.parse(r.stdout) as Case);
    }
  const ownRatios = cases.flatMap((c) => [
    c.firstSync.ratio,
    c.fullResync.ratio,
    ...c.oneEndpointChange.runs.map((r) => r.podnetMs / r.iptablesMs),
  ]);
  return {
    cases,
    goals: {
      maxOwnTimeRatio: +Math.max(...ownRatios).toFixed(3),
      ownTimeWithin25Percent: ownRatios.every((x) => x <= 0.25),
      maxChangeRatioToBare: Math.max(...cases.map((c) => c.oneEndpointChange.ratioToBare)),
      changeWithin1_2xBare: cases.every((c) => c.oneEndpointChange.ratioToBare <= 1.2),
    },
  };
}
