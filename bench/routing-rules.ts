/**
 * `bench routing`'s comparison with what flannel + kube-proxy pays. A podnet lab carries 1 000
 * Services (two endpoints each, one per node) in its proxy mode; beside it runs the hand-built copy
 * of the topology (routing-ref.ts) carrying the same kube-proxy ruleset, copied from podnet's nodes
 * (iptables-save's KUBE- part, or `nft list table ip kube-proxy`), plus flannel's own FLANNEL-FWD
 * and FLANNEL-POSTRTG rules as flanneld writes them. iperf3 runs alternate between the two labs,
 * so both see the same machine at the same time. bgp is compared with the host-gw copy: BIRD
 * installs the same kernel routes host-gw does.
 */
import { BenchLab, type Client, exec, iperf, pod, summary } from "./routing-lab.js";
import { RefLab } from "./routing-ref.js";

/** RULESET_MODES are the routing / proxy-mode pairs `bench routing` measures by default. */
export const RULESET_MODES = ["host-gw/iptables", "vxlan/iptables", "bgp/iptables", "host-gw/nftables", "vxlan/nftables", "bgp/nftables"];

const SERVICES = 1000;
const BUILTIN = "(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING)";

/** servicesManifest is n selector-less Services with an EndpointSlice each (one endpoint per node, none of them real). */
function servicesManifest(n: number): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    const ip = `10.96.${4 + Math.floor(i / 250)}.${(i % 250) + 1}`;
    const ep = (node: number) => `- {addresses: [10.244.${node - 1}.${200 + (i % 50)}], conditions: {ready: true}, nodeName: node-${node}}`;
    docs.push(`apiVersion: v1
kind: Service
metadata: {name: bench-${i}, namespace: default}
spec:
  clusterIP: ${ip}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: bench-${i}-1, namespace: default, labels: {kubernetes.io/service-name: bench-${i}}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
${ep(1)}
${ep(2)}
`);
  }
  return docs.join("---\n");
}

/** kubeProxyPart keeps, from an iptables-save, the tables' frames, kube-proxy's chains and the built-in chains' jumps to them. */
export function kubeProxyPart(save: string): string {
  const keep = (l: string) =>
    l.startsWith("*") ||
    l === "COMMIT" ||
    new RegExp(`^:${BUILTIN} `).test(l) ||
    l.startsWith(":KUBE-") ||
    l.startsWith("-A KUBE-") ||
    new RegExp(`^-A ${BUILTIN} .*-j KUBE-`).test(l);
  return `${save.split("\n").filter(keep).join("\n")}\n`;
}

/** flannelRules are flanneld's forward and masquerade rules for the node whose pods are 10.244.<subnet>.0/24. */
function flannelRules(subnet: number): string {
  const net = "10.244.0.0/16";
  const own = `10.244.${subnet}.0/24`;
  const masq = '-m comment --comment "flanneld masq"';
  const fwd = '-m comment --comment "flanneld forward"';
  return [
    "*filter",
    ":FLANNEL-FWD - [0:0]",
    `-A FORWARD ${fwd} -j FLANNEL-FWD`,
    `-A FLANNEL-FWD -s ${net} ${fwd} -j ACCEPT`,
    `-A FLANNEL-FWD -d ${net} ${fwd} -j ACCEPT`,
    "COMMIT",
    "*nat",
    ":FLANNEL-POSTRTG - [0:0]",
    `-A POSTROUTING ${masq} -j FLANNEL-POSTRTG`,
    `-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 ${masq} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${own} -d ${net} ${masq} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${net} -d ${own} ${masq} -j RETURN`,
    `-A FLANNEL-POSTRTG ! -s ${net} -d ${own} ${masq} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${net} ! -d 224.0.0.0/4 ${masq} -j MASQUERADE --random-fully`,
    `-A FLANNEL-POSTRTG ! -s ${net} -d ${net} ${masq} -j MASQUERADE --random-fully`,
    "COMMIT",
    "",
  ].join("\n");
}

/** proxyRuleset reads a node's kube-proxy ruleset once it holds every Service (polling; 60 s at most). */
async function proxyRuleset(netns: string, proxyMode: string): Promise<string> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const text =
      proxyMode === "nftables"
        ? (await exec.run({ argv: ["nft", "list", "table", "ip", "kube-proxy"], netns, okCodes: [0, 1] })).stdout
        : kubeProxyPart((await exec.run({ argv: ["iptables-save"], netns })).stdout);
    const services = (text.match(proxyMode === "nftables" ? /^\s*chain service-/gm : /^:KUBE-SVC-/gm) ?? []).length;
    if (services >= SERVICES) return text;
    if (performance.now() > deadline) throw new Error(`node ${netns} holds ${services} of ${SERVICES} services after 60 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** copyRuleset loads node i's kube-proxy ruleset and flannel's rules into the copy's node i. */
async function copyRuleset(lab: BenchLab, ref: RefLab, proxyMode: string): Promise<void> {
  for (const i of [1, 2]) {
    const rules = await proxyRuleset(`pn-${lab.name}-node-${i}`, proxyMode);
    const netns = ref.ns(`n${i}`);
    // kube-proxy creates its nfacct counters before the rules that name them.
    for (const name of new Set([...rules.matchAll(/--nfacct-name\s+(\S+)/g)].map((m) => m[1] as string)))
      await exec.run({ argv: ["nfacct", "add", name], netns });
    if (proxyMode === "nftables") await exec.run({ argv: ["nft", "-f", "-"], netns, stdin: rules });
    else await exec.run({ argv: ["iptables-restore", "--noflush"], netns, stdin: rules });
    await exec.run({ argv: ["iptables-restore", "--noflush"], netns, stdin: flannelRules(i - 1) });
  }
}

/** Side is one lab's client and its two servers. */
interface Side {
  client: Client;
  same: string;
  remote: string;
}

/** benchWithRuleset measures one "routing/proxyMode" pair against its copy; runs alternate podnet and copy. */
export async function benchWithRuleset(mode: string, runs: number): Promise<Record<string, unknown>> {
  const [routing = "host-gw", proxyMode = "iptables"] = mode.split("/");
  const lab = new BenchLab();
  const ref = new RefLab(exec);
  try {
    await lab.cli(["up", "--nodes", "2", "--routing-mode", routing, "--proxy-mode", proxyMode]);
    await lab.cli(["apply", "-f", "-"], pod("client", "node-1") + pod("same", "node-1") + pod("remote", "node-2"));
    await lab.cli(["apply", "-f", "-"], servicesManifest(SERVICES));
    const copy = await ref.up(routing === "vxlan" ? "vxlan" : "host-gw");
    await copyRuleset(lab, ref, proxyMode);
    for (const p of ["same", "remote"]) {
      await lab.cli(["exec", p, "--", "iperf3", "-s", "-D"]);
      await exec.run({ argv: ["iperf3", "-s", "-D"], netns: ref.ns(p) });
    }
    await new Promise((r) => setTimeout(r, 300));
    const sides: Record<"podnet" | "copy", Side> = {
      podnet: {
        client: (argv) => lab.cli(["exec", "client", "--", ...argv]),
        same: await lab.podIP("same"),
        remote: await lab.podIP("remote"),
      },
      copy: { client: async (argv) => (await exec.run({ argv, netns: ref.ns("client"), timeoutMs: 60_000 })).stdout, ...copy },
    };
    const got = { podnet: { same: [] as number[], cross: [] as number[] }, copy: { same: [] as number[], cross: [] as number[] } };
    for (let i = 0; i < runs; i++) {
      const order: ("podnet" | "copy")[] = i % 2 === 0 ? ["podnet", "copy"] : ["copy", "podnet"];
      for (const k of order) got[k].same.push(await iperf(sides[k].client, sides[k].same));
      for (const k of order) got[k].cross.push(await iperf(sides[k].client, sides[k].remote));
    }
    const podnet = summary(got.podnet.same, got.podnet.cross);
    const theirs = summary(got.copy.same, got.copy.cross);
    return {
      mode,
      services: SERVICES,
      copy: `hand-built ${routing === "vxlan" ? "vxlan" : "host-gw"} with the same ${proxyMode} kube-proxy ruleset and flannel's rules`,
      podnet,
      handBuilt: theirs,
      crossNodeVsCopy: +(podnet.medianCrossNodeGbps / theirs.medianCrossNodeGbps).toFixed(3),
      sameNodeVsCopy: +(podnet.medianSameNodeGbps / theirs.medianSameNodeGbps).toFixed(3),
    };
  } finally {
    await ref.down();
    await lab.down();
  }
}
