/**
 * One case of `npm run bench -- proxy`, run in its own process so its peak RSS is its own:
 * N ClusterIP services × 3 endpoints in a fresh namespace with one iptables flavour. Measures the
 * first full sync, a full resync and one-endpoint changes (each split into podnet's own time and
 * iptables' time), and a bare iptables-restore of exactly the chains a change rewrote, applied to
 * the same kernel state (the service's old chains are put back first, untimed); 31 changes, compared
 * by their means.
 */
import { randomBytes } from "node:crypto";
import { RealExecutor } from "../src/exec/real.js";
import { createNetns, deleteNetns } from "../src/iproute/netns.js";
import { testConfig } from "../src/proxy/fixtures.js";
import { type Flavour, RealIptables } from "../src/netfilter/index.js";
import { IptablesProxier, type SyncResult } from "../src/proxy/iptables/proxier.js";
import { benchCluster, changeOne, mean, median } from "./proxy-fixture.js";

const exec = new RealExecutor();
const [flavour, nArg] = process.argv.slice(2) as [Flavour, string];
const n = Number(nArg);
const REPEAT = 31;
const netns = `pn-bench${randomBytes(3).toString("hex")}-node`;

const summary = (r: SyncResult) => ({
  podnetMs: +r.computeMs.toFixed(1),
  iptablesMs: +r.iptablesMs.toFixed(1),
  otherMs: +r.otherMs.toFixed(1),
  chainsWritten: r.writtenCount,
  chainsDeleted: r.deleted.length,
  restoreBytes: r.restoreBytes,
  ratio: +(r.computeMs / r.iptablesMs).toFixed(3),
});

async function main() {
  const { tracker, services } = benchCluster(n, 244);
  await createNetns(exec, netns);
  try {
    const ipt = new RealIptables(exec, netns, flavour, 4);
    const p = new IptablesProxier(tracker, { ...testConfig, clusterCIDRs: ["10.244.0.0/16"] }, 4, exec, netns, flavour, ipt);
    const first = await p.sync();
    const resync = await p.sync({ full: true });
    const changes: ReturnType<typeof summary>[] = [];
    const podnetTotal: number[] = [];
    const bare: number[] = [];
    for (let g = 1; g <= REPEAT; g++) {
      const key = changeOne(tracker, services, 244, g, REPEAT);
      let text = "";
      const spy = ipt.restore.bind(ipt);
      ipt.restore = async (t: string) => {
        text = t;
        await spy(t);
      };
      // The service's chains before the change, to put back before the bare restore.
      const svcKey = `${key}:`;
      const oldChains = [...p.ruleset.applied()].filter(([k]) => k.startsWith(svcKey)).flatMap(([, r]) => r.chains);
      const t0 = performance.now();
      const r = await p.sync();
      podnetTotal.push(performance.now() - t0);
      ipt.restore = spy;
      changes.push(summary(r));
      // Bare: put the kernel back exactly as it was before the change (untimed) — old chains with
      // their rules, chains the change added removed — then time a restore of the very same text.
      const added = r.written.map((w) => w.slice(4)).filter((c) => !oldChains.some(([n]) => n === c));
      const undo = [
        "*nat",
        ...[...oldChains.map(([n]) => n), ...added].map((c) => `:${c} - [0:0]`),
        ...oldChains.map(([, t]) => t),
        ...added.map((c) => `-X ${c}`),
        "COMMIT",
        "",
      ];
      await ipt.restore(undo.join("\n"));
      const t1 = performance.now();
      await ipt.restore(text);
      bare.push(performance.now() - t1);
    }
    const rss = process.resourceUsage().maxRSS;
    process.stdout.write(
      JSON.stringify({
        flavour,
        services: n,
        endpoints: n * 3,
        firstSync: summary(first),
        fullResync: summary(resync),
        oneEndpointChange: {
          runs: changes,
          // Restore times come in steps of ~4 ms here (a 250 Hz kernel tick, it seems), so a median
          // jumps a whole step between runs; the ratio is of means, the medians are kept beside it.
          meanPodnetSyncMs: +mean(podnetTotal).toFixed(1),
          meanBareRestoreMs: +mean(bare).toFixed(1),
          ratioToBare: +(mean(podnetTotal) / mean(bare)).toFixed(3),
          medianPodnetSyncMs: +median(podnetTotal).toFixed(1),
          medianBareRestoreMs: +median(bare).toFixed(1),
          medianRatioToBare: +(median(podnetTotal) / median(bare)).toFixed(3),
          medianPodnetOwnMs: +median(changes.map((c) => c.podnetMs)).toFixed(2),
        },
        peakRssMB: +(rss / 1024).toFixed(1),
      }),
    );
  } finally {
    await deleteNetns(exec, netns);
  }
}

await main();
