/**
 * One nftables case of `npm run bench -- proxy`, in its own process: N ClusterIP services × 3
 * endpoints in a fresh node namespace with a real pod behind one more service. Measures the
 * nftables proxier's first sync, full resync and one-endpoint changes (podnet's own time and nft's),
 * then TCP connect latency from the node to that service's ClusterIP with kube-proxy's rules for
 * all N services in each backend — none (to the pod's own IP), iptables-legacy, iptables-nft and
 * nftables — in interleaved rounds, medians of the p50s.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { RealExecutor } from "../src/exec/real.js";
import { createNetns, deleteNetns, IpTransaction, RealIpNode } from "../src/iproute/index.js";
import { RealIptables, RealNft } from "../src/netfilter/index.js";
import { makeService, makeSlice, testConfig } from "../src/proxy/fixtures.js";
import { IptablesProxier } from "../src/proxy/iptables/proxier.js";
import { NftablesProxier } from "../src/proxy/nftables/proxier.js";
import { benchCluster, changeOne, mean, median } from "./proxy-fixture.js";
import type { SyncResult } from "../src/proxy/types.js";

const exec = new RealExecutor();
const n = Number(process.argv[2] ?? "1000");
const ROUNDS = Number(process.argv[3] ?? "3");
const REPEAT = 31;
const CONNECTS = 2000;
const tag = randomBytes(3).toString("hex");
const node = `pn-bnft${tag}-node`;
const pod = `pn-bnft${tag}-pod`;
const ECHO = fileURLToPath(new URL("../src/lab/echo/server.js", import.meta.url));
const LATENCY = fileURLToPath(new URL("./tools/connect-latency.js", import.meta.url));
const POD_IP = "10.244.0.2";
const TARGET_IP = "10.96.255.254";

const r1 = (x: number) => Math.round(x * 10) / 10;
const summary = (r: SyncResult) => ({
  podnetMs: r1(r.computeMs),
  nftMs: r1(r.iptablesMs),
  chainsWritten: r.writtenCount,
  elementChanges: r.elementChanges ?? 0,
  bytes: r.restoreBytes,
});

async function topology(): Promise<void> {
  for (const ns of [node, pod]) await createNetns(exec, ns);
  await new RealIpNode(exec, node).apply(
    new IpTransaction()
      .addLink({ name: "v0", kind: "veth", peer: { name: "eth0", netns: pod } })
      .addAddress({ dev: "v0", cidr: "10.244.0.1/24" })
      .setLink({ name: "v0", up: true })
      .setLink({ name: "lo", up: true })
      // A route for the service range, which a node's default route gives it: local traffic is routed before its DNAT.
      .addRoute({ dst: "10.96.0.0/12", dev: "v0", scope: "link" }),
  );
  await new RealIpNode(exec, pod).apply(
    new IpTransaction()
      .addAddress({ dev: "eth0", cidr: `${POD_IP}/24` })
      .setLink({ name: "eth0", up: true })
      .setLink({ name: "lo", up: true })
      .addRoute({ dst: "default", via: "10.244.0.1", dev: "eth0" }),
  );
  await exec.daemon({
    argv: [process.execPath, ECHO, "--pod=bench/target", "--node=node-1", `--ip=${POD_IP}`, "--tcp=80", "--udp="],
    netns: pod,
    logFile: "/dev/null",
    readyLine: "ready",
  });
}

async function latency(host: string): Promise<number> {
  const r = await exec.run({ argv: [process.execPath, LATENCY, host, "80", String(CONNECTS)], netns: node, timeoutMs: 600_000 });
  return (JSON.parse(r.stdout) as { p50: number }).p50;
}

async function clearAll(): Promise<void> {
  for (const f of ["legacy", "nft"] as const)
    for (const t of ["nat", "filter"]) {
      const bin = `iptables-${f}`;
      await exec.run({ argv: [bin, "-t", t, "-F"], netns: node, okCodes: [0, 1, 2, 3, 4] });
      await exec.run({ argv: [bin, "-t", t, "-X"], netns: node, okCodes: [0, 1, 2, 3, 4] });
    }
  await exec.run({ argv: ["nft", "delete", "table", "ip", "kube-proxy"], netns: node, okCodes: [0, 1] });
}

async function main() {
  const { tracker, services } = benchCluster(n, 180);
  tracker.setService("zz/target", makeService("zz", "target", { clusterIP: TARGET_IP }));
  tracker.setSlice("zz/target", "target-1", makeSlice("zz", "target", [{ ip: POD_IP, node: "test-node" }]));
  const cfg = { ...testConfig, clusterCIDRs: ["10.244.0.0/16"] };
  await topology();
  try {
    const nft = new NftablesProxier(
      tracker,
      cfg,
      4,
      { serviceCIDRs: ["10.96.0.0/12"], nodePortIPs: ["192.168.0.2"] },
      exec,
      node,
      new RealNft(exec, node),
    );
    const first = await nft.sync();
    const resync = await nft.sync({ full: true });
    const changes: ReturnType<typeof summary>[] = [];
    const total: number[] = [];
    for (let g = 1; g <= REPEAT; g++) {
      changeOne(tracker, services, 180, g, REPEAT);
      const t0 = performance.now();
      changes.push(summary(await nft.sync()));
      total.push(performance.now() - t0);
    }
    const rss = process.resourceUsage().maxRSS;
    // Connect latency, every backend holding the same N + 1 services; rounds interleave the backends.
    const lat: Record<string, number[]> = { none: [], iptablesLegacy: [], iptablesNft: [], nftables: [] };
    for (let round = 0; round < ROUNDS; round++) {
      await clearAll();
      lat.none?.push(await latency(POD_IP));
      for (const [key, flavour] of [
        ["iptablesLegacy", "legacy"],
        ["iptablesNft", "nft"],
      ] as const) {
        await clearAll();
        const p = new IptablesProxier(tracker, cfg, 4, exec, node, flavour, new RealIptables(exec, node, flavour, 4));
        await p.sync();
        lat[key]?.push(await latency(TARGET_IP));
      }
      await clearAll();
      await new NftablesProxier(tracker, cfg, 4, { serviceCIDRs: ["10.96.0.0/12"], nodePortIPs: ["192.168.0.2"] }, exec, node).sync();
      lat.nftables?.push(await latency(TARGET_IP));
    }
    const p50 = Object.fromEntries(Object.entries(lat).map(([k, v]) => [k, { medianP50Us: median(v), rounds: v }]));
    process.stdout.write(
      JSON.stringify({
        mode: "nftables",
        services: n,
        endpoints: n * 3 + 1,
        firstSync: summary(first),
        fullResync: summary(resync),
        oneEndpointChange: {
          meanTotalMs: r1(mean(total)),
          medianTotalMs: r1(median(total)),
          maxTotalMs: r1(Math.max(...total)),
          medianPodnetMs: r1(median(changes.map((c) => c.podnetMs))),
          medianNftMs: r1(median(changes.map((c) => c.nftMs))),
          runs: changes,
        },
        connectLatency: { ...p50, nftablesToNone: +(median(lat.nftables ?? []) / median(lat.none ?? [])).toFixed(3) },
        peakRssMB: r1(rss / 1024),
      }),
    );
  } finally {
    await deleteNetns(exec, pod);
    await deleteNetns(exec, node);
  }
}

await main();
