/**
 * `npm run bench -- proxy`: for 1 000 and 10 000 services × 3 endpoints, with iptables-nft and
 * iptables-legacy (proxy-case.ts) and in nftables mode (proxy-nft-case.ts), each case in its own
 * process. Prints every case and whether the goals hold: in iptables mode podnet's own time ≤ 25 %
 * of iptables' time and a one-endpoint change ≤ 1.2 × a bare iptables-restore of the chains it
 * rewrote; in nftables mode a one-endpoint change ≤ 20 ms end to end and ClusterIP connect latency
 * ≤ 1.1 × no rules at 10 000 services.
 */
import { fileURLToPath } from "node:url";
import { RealExecutor } from "../src/exec/real.js";

const CASE = fileURLToPath(new URL("./proxy-case.js", import.meta.url));
const NFT_CASE = fileURLToPath(new URL("./proxy-nft-case.js", import.meta.url));

interface NftCase {
  services: number;
  oneEndpointChange: { medianTotalMs: number; meanTotalMs: number };
  connectLatency: { nftablesToNone: number };
}

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
  const nft: NftCase[] = [];
  for (const n of sizes) {
    const r = await exec.run({ argv: [process.execPath, NFT_CASE, String(n)], netns: null, timeoutMs: 1_800_000 });
    process.stderr.write(`nftables ${n}: done\n`);
    nft.push(JSON.parse(r.stdout) as NftCase);
  }
  const largest = nft.reduce((a, b) => (b.services > a.services ? b : a), nft[0] as NftCase);
  const ownRatios = cases.flatMap((c) => [
    c.firstSync.ratio,
    c.fullResync.ratio,
    ...c.oneEndpointChange.runs.map((r) => r.podnetMs / r.iptablesMs),
  ]);
  return {
    cases,
    nftables: nft,
    goals: {
      nftablesChangeMedianMs: largest?.oneEndpointChange.medianTotalMs,
      nftablesChangeWithin20ms: (largest?.oneEndpointChange.medianTotalMs ?? Infinity) <= 20,
      nftablesLatencyToNoRules: largest?.connectLatency.nftablesToNone,
      nftablesLatencyWithin1_1x: (largest?.connectLatency.nftablesToNone ?? Infinity) <= 1.1,
      maxOwnTimeRatio: +Math.max(...ownRatios).toFixed(3),
      ownTimeWithin25Percent: ownRatios.every((x) => x <= 0.25),
      maxChangeRatioToBare: Math.max(...cases.map((c) => c.oneEndpointChange.ratioToBare)),
      changeWithin1_2xBare: cases.every((c) => c.oneEndpointChange.ratioToBare <= 1.2),
    },
  };
}
