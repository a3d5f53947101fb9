/**
 * `npm run bench -- routing [modes] [runs]`: iperf3 TCP throughput pod-to-pod on the same node and
 * across nodes, in each routing mode (host-gw, vxlan, bgp), each in its own lab and all in one run;
 * every cross-node figure is also given as a ratio to same-node in the same lab, so both sides
 * share the pod MTU (1450 under vxlan). Also times a node joining: from `lab node add` until a pod
 * on the new node answers every existing pod. The same throughput runs on a hand-built copy of the
 * topology without podnet (ref-host-gw, ref-vxlan). A mode may name the nodes' iptables flavour
 * (`vxlan@legacy`; default nft), or a proxy mode (`vxlan/nftables`: routing-rules.ts, the default
 * set). Prints JSON with every run and the medians.
 */
import { BenchLab, type Client, exec, pod, SECONDS, throughput } from "./routing-lab.js";
import { RefLab } from "./routing-ref.js";
import { benchWithRuleset, RULESET_MODES } from "./routing-rules.js";

/** benchReference measures the hand-built topology without podnet (host-gw or vxlan by plain ip commands). */
async function benchReference(mode: "host-gw" | "vxlan", runs: number): Promise<Record<string, unknown>> {
  const ref = new RefLab(exec);
  try {
    const { same, remote } = await ref.up(mode);
    for (const p of ["same", "remote"]) await exec.run({ argv: ["iperf3", "-s", "-D"], netns: ref.ns(p) });
    await new Promise((r) => setTimeout(r, 300));
    const client: Client = async (argv) => (await exec.run({ argv, netns: ref.ns("client"), timeoutMs: 60_000 })).stdout;
    return {
      mode: `hand-built ${mode} (no podnet, no netfilter rules)`,
      podMtu: mode === "vxlan" ? 1450 : 1500,
      ...(await throughput(client, same, remote, runs)),
    };
  } finally {
    await ref.down();
  }
}

/** joinTime adds a node and a pod on it, and waits until every existing pod reaches that pod. */
async function joinTime(lab: BenchLab, sources: string[]): Promise<{ nodeAddMs: number; reachableMs: number }> {
  const t0 = performance.now();
  await lab.cli(["node", "add"]);
  const nodeAddMs = performance.now() - t0;
  await lab.cli(["apply", "-f", "-"], pod("joiner", "node-3"));
  const url = `http://${await lab.podIP("joiner")}:8080/`;
  for (;;) {
    const answers = await Promise.all(sources.map((s) => lab.cli(["curl", s, url, url, "--timeout", "500ms"]).catch(() => "")));
    if (answers.every((a) => a.includes('"pod":"joiner"'))) break;
    if (performance.now() - t0 > 60_000) throw new Error("the new node's pod never became reachable");
  }
  return { nodeAddMs, reachableMs: performance.now() - t0 };
}

async function benchMode(mode: string, runs: number): Promise<Record<string, unknown>> {
  const lab = new BenchLab();
  try {
    const [routing = mode, flavour] = mode.split("@"); // "vxlan@legacy": the nodes use iptables-legacy
    await lab.cli(["up", "--nodes", "2", "--routing-mode", routing, ...(flavour ? ["--iptables", flavour] : [])]);
    await lab.cli(["apply", "-f", "-"], pod("client", "node-1") + pod("same", "node-1") + pod("remote", "node-2"));
    const same = await lab.podIP("same");
    const remote = await lab.podIP("remote");
    for (const p of ["same", "remote"]) await lab.cli(["exec", p, "--", "iperf3", "-s", "-D"]);
    await new Promise((r) => setTimeout(r, 300));
    const client: Client = (argv) => lab.cli(["exec", "client", "--", ...argv]);
    const tp = await throughput(client, same, remote, runs);
    const join = await joinTime(lab, ["client", "remote"]);
    const [link] = JSON.parse(await lab.cli(["exec", "client", "--", "ip", "-j", "link", "show", "eth0"])) as { mtu: number }[];
    return { mode, podMtu: link?.mtu, ...tp, nodeAddMs: Math.round(join.nodeAddMs), newPodReachableMs: Math.round(join.reachableMs) };
  } finally {
    await lab.down();
  }
}

/**
 * benchRouting measures every mode in one run. By default: each routing mode with 1 000 Services in
 * each proxy mode against its hand-built copy carrying the same rules ("host-gw/nftables"); also
 * by name: a lab alone ("vxlan", "vxlan@legacy") and the rule-free copies ("ref-host-gw", "ref-vxlan").
 */
export async function benchRouting(modes = RULESET_MODES, runs = 3): Promise<Record<string, unknown>> {
  const results = [];
  for (const m of modes) {
    process.stderr.write(`routing bench: ${m}…\n`);
    if (m === "ref-host-gw" || m === "ref-vxlan") results.push(await benchReference(m.slice(4) as "host-gw" | "vxlan", runs));
    else if (m.includes("/")) results.push(await benchWithRuleset(m, runs));
    else results.push(await benchMode(m, runs));
  }
  return { bench: "routing", iperfSeconds: SECONDS, runs, results };
}
