/**
 * `npm run bench -- policy [runs]`: NetworkPolicy at 1 000 pods and 1 000 policies (policy-fixture.ts)
 * on one node — a namespace with a bridge and two real pods (pods 0 and 50 of the fixture) — with
 * the policy engine writing the node's real ipsets and iptables (nft). Measures podnet's own time
 * (compile, plan, render) and the restores' time for the first enforcement, one pod added and one
 * policy changed; then TCP connect latency from pod 0 to pod 50 with no podnet rules, with podnet
 * but no policies, and through the 1 000 policies, interleaved `runs` times (medians).
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { RealNodeKernel } from "../src/dataplane/index.js";
import { RealExecutor } from "../src/exec/real.js";
import { createNetns, deleteNetns, IpTransaction, RealIpNode } from "../src/iproute/index.js";
import type { NetworkPolicy } from "../src/model/types.js";
import { type ClusterObjects, clusterView, type ResolvedPolicies } from "../src/policy/cluster.js";
import { PolicyEngine, type SyncResult } from "../src/policy/engine.js";
import { trackNetns } from "./interrupt.js";
import { benchCluster, benchPod } from "./policy-fixture.js";

const exec = new RealExecutor();
const ECHO = fileURLToPath(new URL("../src/lab/echo/server.js", import.meta.url));
const LATENCY = fileURLToPath(new URL("./tools/connect-latency.js", import.meta.url));
const CONNECTS = 2000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const r1 = (x: number) => Math.round(x * 10) / 10;

/** topology builds the node (a bridge) and the two pods on it. */
async function topology(prefix: string, ips: [string, string]): Promise<{ node: string; pods: string[] }> {
  const node = `${prefix}node`;
  const pods = [`${prefix}a`, `${prefix}b`];
  for (const n of [node, ...pods]) await createNetns(exec, n);
  const tx = new IpTransaction();
  tx.addLink({ name: "br0", kind: "bridge" }).addAddress({ dev: "br0", cidr: "10.244.0.1/16" }).setLink({ name: "br0", up: true });
  pods.forEach((p, i) => {
    tx.addLink({ name: `v${i}`, kind: "veth", peer: { name: "eth0", netns: p } }).setLink({ name: `v${i}`, master: "br0", up: true });
  });
  await new RealIpNode(exec, node).apply(tx);
  for (const [i, p] of pods.entries()) {
    const ptx = new IpTransaction();
    ptx
      .addAddress({ dev: "eth0", cidr: `${ips[i]}/16` })
      .setLink({ name: "eth0", up: true })
      .setLink({ name: "lo", up: true });
    await new RealIpNode(exec, p).apply(ptx);
  }
  await exec.run({ argv: ["sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=1"], netns: node, okCodes: [0, 255] });
  return { node, pods };
}

/** Timed is a sync with the time to build the view from store objects, which the agent does on every change too. */
type Timed = SyncResult & { viewMs: number };

const changes = (rs: Timed[]) => ({
  ownMsMedian: r1(median(rs.map((r) => r.viewMs + r.computeMs))),
  ownMsMax: r1(Math.max(...rs.map((r) => r.viewMs + r.computeMs))),
  restoresMsMedian: r1(median(rs.map((r) => r.applyMs))),
  runs: rs.map(summary),
});

const summary = (r: Timed) => ({ ownMs: r1(r.viewMs + r.computeMs), viewMs: r1(r.viewMs), restoresMs: r1(r.applyMs), changes: r.changes });

/** benchPolicy runs the benchmark. */
export async function benchPolicy(runs = 3): Promise<Record<string, unknown>> {
  const prefix = trackNetns(`pn-pb${randomBytes(2).toString("hex")}-`);
  const cluster = benchCluster();
  const [a, b] = [cluster.pods[0], cluster.pods[50]].map((p) => p?.status?.podIP as string) as [string, string];
  const { node, pods } = await topology(prefix, [a, b]);
  try {
    const server = await exec.daemon({
      argv: [process.execPath, ECHO, "--pod=ns0/p50", "--node=node-1", `--ip=${b}`, "--tcp=80", "--udp="],
      netns: pods[1] as string,
      logFile: "/dev/null",
      readyLine: "ready",
    });
    void server;
    const engine = new PolicyEngine(new RealNodeKernel(exec, node, "nft"), {
      node: "node-1",
      families: [4],
      deny: "reject",
      nflogGroup: 100,
    });
    const resolved: ResolvedPolicies = new Map();
    const sync = async (objs: ClusterObjects, full = false): Promise<Timed> => {
      const t0 = performance.now();
      const v = clusterView(objs, resolved);
      const viewMs = performance.now() - t0;
      return { ...(await engine.sync(v, full)), viewMs };
    };
    const latency = async () => {
      const r = await exec.run({
        argv: [process.execPath, LATENCY, b, "80", String(CONNECTS)],
        netns: pods[0] as string,
        timeoutMs: 120_000,
      });
      return (JSON.parse(r.stdout) as { p50: number }).p50;
    };
    const noRules: number[] = [];
    const noPolicies: number[] = [];
    const withPolicies: number[] = [];
    noRules.push(await latency());
    const first = await sync(cluster, true);
    const again = await sync(cluster);
    // Five changes of each kind, alternating (a pod comes; a policy's rules change), medians and maxima.
    const podAdded: Timed[] = [];
    const policyChanged: Timed[] = [];
    for (let i = 0; i < 5; i++) {
      podAdded.push(await sync({ ...cluster, pods: [...cluster.pods, benchPod(1000 + i)] }));
      const changed = cluster.policies.map((p, j): NetworkPolicy =>
        j === 7 + i
          ? { ...p, metadata: { ...p.metadata, resourceVersion: `2${i}` }, spec: { ...p.spec, ingress: [{ ports: [{ port: 9000 + i }] }] } }
          : p,
      );
      policyChanged.push(await sync({ ...cluster, pods: [...cluster.pods, benchPod(1000 + i)], policies: changed }));
    }
    await sync(cluster);
    for (let i = 0; i < runs; i++) {
      withPolicies.push(await latency());
      await sync({ ...cluster, policies: [] });
      noPolicies.push(await latency());
      await sync(cluster);
    }
    return {
      pods: cluster.pods.length,
      policies: cluster.policies.length,
      localPods: cluster.pods.filter((p) => p.spec.nodeName === "node-1").length,
      firstEnforcement: summary(first),
      secondSyncChanges: again.changes,
      onePodAdded: changes(podAdded),
      onePolicyChanged: changes(policyChanged),
      connectP50us: {
        noRules: median(noRules),
        noPolicies: median(noPolicies),
        withPolicies: median(withPolicies),
        runs: { noRules, noPolicies, withPolicies },
      },
      latencyRatio: r1((median(withPolicies) / median(noPolicies)) * 100) / 100,
      goals: { changeOwnMs: 50, latencyRatio: 1.1 },
    };
  } finally {
    for (const n of [...pods, node]) await deleteNetns(exec, n).catch(() => {});
  }
}
