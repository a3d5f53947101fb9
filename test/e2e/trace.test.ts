/**
 * `lab trace` against the kernel (issue 24): random flows over several lab shapes — pod to pod,
 * pod to a ClusterIP (TCP and UDP), to a Service without endpoints, to the external host, and the
 * external host to a NodePort; on three shapes a NetworkPolicy isolates some pods, and one runs the
 * proxy in nftables mode (on a dual-stack lab half the flows would be IPv6). Each flow is traced from
 * the nodes' live rules and routes, then sent for real (--verify): the pod that answered must be
 * among the predicted, a predicted reject or drop must be a connection that failed, and on
 * iptables-nft nodes the kernel's own nft trace must show each node doing what one predicted path
 * says (the same DNAT chain, verdict and dropping rule).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { RealExecutor } from "../../src/exec/real.js";
import { Lab } from "../../src/lab/lab.js";
import { runTrace } from "../../src/lab/trace/run.js";
import type { Pod, Service } from "../../src/model/types.js";
import { type TestLab, withLab } from "./helpers.js";

const APPS = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: e, ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 5353, protocol: UDP}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  ipFamilyPolicy: PreferDualStack
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}, {name: dns, port: 53, targetPort: dns, protocol: UDP}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec: {containers: [{name: c, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: empty}
spec: {ipFamilyPolicy: PreferDualStack, selector: {app: none}, ports: [{port: 80}]}
`;

const POLICY = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-web-1}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 8080}]}]
`;

const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;

async function flows(t: TestLab, n: number, policies: boolean): Promise<{ agreed: number; kinds: Map<string, number>; kernel: number }> {
  const lab = new Lab(new RealExecutor(), t.stateDir, t.name);
  const pods = (await t.json<{ items: Pod[] }>(["get", "pods"])).items.filter((p) => p.status?.podIP);
  const web = await t.json<Service>(["get", "service", "web"]);
  const nodePort = web.spec.ports?.[0]?.nodePort as number;
  const count = lab.config().nodes.length;
  const dual = lab.config().ipFamily === "dual";
  const kinds = new Map<string, number>();
  let agreed = 0;
  let kernel = 0;
  for (let i = 0; i < n; i++) {
    // On a dual-stack lab half the flows are IPv6: pod addresses, the Services' IPv6 ClusterIPs, the external host, NodePorts.
    const family = dual && Math.random() < 0.5 ? 6 : 4;
    const at = (ip: string) => (family === 6 ? `[${ip}]` : ip);
    const podIP = (p: Pod) => p.status?.podIPs?.map((x) => x.ip).find((ip) => ip.includes(":") === (family === 6)) ?? "";
    const nodeIP = (k: number) => (family === 6 ? `fd00:172:18::${11 + k}` : `172.18.0.${11 + k}`);
    const src = pick(pods);
    const dst = pick([
      () => ({ from: src.metadata.name, to: `${at(podIP(pick(pods)))}:8080` }),
      () => ({ from: src.metadata.name, to: "svc/web" }),
      () => ({ from: src.metadata.name, to: "svc/web/udp" }),
      () => ({ from: src.metadata.name, to: "svc/empty" }),
      () => ({ from: src.metadata.name, to: `${at(family === 6 ? "2001:db8:100::10" : "198.51.100.10")}:80` }),
      () => ({ from: "external", to: `${at(nodeIP(Math.floor(Math.random() * count)))}:${nodePort}` }),
    ])();
    const r = await runTrace(lab, { namespace: "default", src: dst.from, dst: dst.to, verify: true, family });
    const predicted = [...new Set(r.paths.map((p) => p.outcome.kind))].join("+");
    kinds.set(predicted, (kinds.get(predicted) ?? 0) + 1);
    assert.ok(
      r.verify?.agreed,
      `${dst.from} -> ${dst.to} (IPv${family})${policies ? " (policies)" : ""}: predicted ${predicted}, ${r.verify?.observed}\n${JSON.stringify(r.paths, null, 1)}`,
    );
    agreed++;
    if (r.verify?.kernel) kernel++;
  }
  // Where the nodes' iptables is iptables-nft, every rule is an nftables rule and the kernel's own trace is compared too.
  if (lab.config().iptables === "nft") assert.equal(kernel, n, "every flow was also checked against the kernel's nft trace");
  return { agreed, kinds, kernel };
}

const shapes: [string, string[], boolean][] = [
  ["host-gw, bridge", ["--routing-mode", "host-gw"], false],
  ["vxlan, routed, with a NetworkPolicy", ["--routing-mode", "vxlan", "--cni-mode", "routed"], true],
  ["bgp, bridge", ["--routing-mode", "bgp"], false],
  ["host-gw, routed, with a NetworkPolicy", ["--routing-mode", "host-gw", "--cni-mode", "routed"], true],
  ["vxlan, bridge, nftables proxy, with a NetworkPolicy", ["--routing-mode", "vxlan", "--proxy-mode", "nftables"], true],
];

for (const [name, args, policies] of shapes)
  test(`trace agrees with the kernel on 50 random flows: ${name}`, { timeout: 300_000 }, async () => {
    await withLab(
      2,
      async (t) => {
        await t.ok(["apply", "-f", "-"], APPS);
        if (policies) await t.ok(["apply", "-f", "-"], POLICY);
        const { agreed, kinds, kernel } = await flows(t, 50, policies);
        console.log(
          `  ${name}: ${agreed}/50 agreed (${kernel} also by the kernel's trace); predicted ${[...kinds].map(([k, v]) => `${k} ${v}`).join(", ")}`,
        );
      },
      args,
    );
  });
