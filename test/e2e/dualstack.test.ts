/**
 * Dual-stack labs (`lab up --ip-family dual`), proven with real IPv6 packets: every pod gets one
 * IPv4 and one IPv6 address from its node's pod CIDRs and answers on both; pods reach pods on
 * every node over IPv6 and keep their source; a PreferDualStack Service answers on its IPv6
 * ClusterIP (TCP and UDP, ip6tables rules) and its IPv6 NodePort from the external host; IPv6
 * egress leaves with the node's IPv6 address. Run for each routing mode and both CNI data paths;
 * dual-stack Subnets and static IPs once.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Node, Pod, Service } from "../../src/model/types.js";
import { cidrContains, parseCIDR } from "../../src/util/ip.js";
import { type TestLab, withLab } from "./helpers.js";
import { httpURL, lines, nodeRun, podIPv6, pods, reachMatrix } from "./routing-cases.js";

type List<T> = { items: T[] };

const WEB = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: echo, image: echo, ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 5353, protocol: UDP}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  ipFamilyPolicy: PreferDualStack
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}, {name: dns, port: 53, targetPort: dns, protocol: UDP}]
`;

const INTERNET6 = "http://[2001:db8:100::10]/";

const SUBNETS = `
apiVersion: v1
kind: Namespace
metadata: {name: blue}
---
apiVersion: podnet.io/v1
kind: Subnet
metadata: {name: blue}
spec: {cidrBlock: "10.66.0.0/16,fd00:66::/112", namespaces: [blue]}
---
apiVersion: v1
kind: Pod
metadata: {name: fixed, namespace: blue, annotations: {podnet.io/ip_address: "10.66.0.200,fd00:66::c8"}}
spec: {nodeName: node-1, containers: [{name: echo, image: echo, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: blue}
spec: {nodeName: node-2, containers: [{name: echo, image: echo, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: open}
---
apiVersion: podnet.io/v1
kind: Subnet
metadata: {name: open}
spec: {cidrBlock: "10.67.0.0/16,fd00:67::/112", namespaces: [open], natOutgoing: false}
---
apiVersion: v1
kind: Pod
metadata: {name: exposed, namespace: open}
spec: {nodeName: node-2, containers: [{name: echo, image: echo, ports: [{containerPort: 8080}]}]}
`;

/** subnetCases: dual-stack Subnets and a dual-stack static IP, reached across nodes over IPv6; a natOutgoing: false subnet's IPv6 pod is reached from outside by its own address. */
async function subnetCases(lab: TestLab): Promise<void> {
  await lab.ok(["apply", "-f", "-"], SUBNETS);
  const blue = (await lab.json<List<Pod>>(["get", "pods", "-n", "blue"])).items;
  const fixed = blue.find((p) => p.metadata.name === "fixed")!;
  const other = blue.find((p) => p.metadata.name === "other")!;
  assert.deepEqual(
    fixed.status?.podIPs?.map((i) => i.ip),
    ["10.66.0.200", "fd00:66::c8"],
    "static dual-stack IPs",
  );
  assert.ok(podIPv6(other)?.startsWith("fd00:66::"), `the other pod's IPv6 comes from the Subnet: ${podIPv6(other)}`);
  const [e] = lines(await lab.ok(["curl", "-n", "blue", "fixed", httpURL(podIPv6(other), 8080), "--count", "1"]));
  assert.equal(e?.client, "fd00:66::c8", "Subnet pods reach each other across nodes over IPv6, source kept");
  const exposed = await lab.json<Pod>(["get", "pod", "exposed", "-n", "open"]);
  const [inbound] = lines(await lab.ok(["curl", "external", httpURL(podIPv6(exposed), 8080), "--count", "1"]));
  assert.equal(inbound?.pod, "exposed", "the outside reaches a natOutgoing: false pod by its IPv6 address");
  const [out] = lines(await lab.ok(["curl", "-n", "open", "exposed", INTERNET6, "--count", "1"]));
  assert.equal(out?.client, podIPv6(exposed), "and its IPv6 egress keeps the pod's address");
}

async function dualStackCases(lab: TestLab, label: string, proxyMode: "iptables" | "nftables" = "iptables"): Promise<Pod[]> {
  await lab.ok(["apply", "-f", "-"], WEB);
  const ps = await pods(lab);
  assert.equal(ps.length, 4);
  const nodes = (await lab.json<List<Node>>(["get", "nodes"])).items;
  const v6cidr = (n: string) => nodes.find((x) => x.metadata.name === n)?.spec.podCIDRs?.find((c) => c.includes(":")) ?? "";
  const ip6 = (n: string) =>
    nodes.find((x) => x.metadata.name === n)?.status?.addresses?.find((a) => a.type === "InternalIP" && a.address.includes(":"))?.address;
  for (const p of ps) {
    assert.equal(p.status?.podIPs?.length, 2, `${p.metadata.name} has one address per family`);
    assert.ok(
      cidrContains(parseCIDR(v6cidr(p.spec.nodeName ?? ""))!, podIPv6(p)!),
      `${podIPv6(p)} is in its node's ${v6cidr(p.spec.nodeName ?? "")}`,
    );
  }

  // Every pod reaches every pod over IPv6, on its node and across, and nodes reach every pod.
  const names = ps.map((p) => p.metadata.name);
  assert.deepEqual(await reachMatrix(lab, names, ps, podIPv6), [], `${label}: pod-to-pod over IPv6`);
  assert.deepEqual(await reachMatrix(lab, ["node/node-1", "node/node-2"], ps, podIPv6), [], `${label}: node-to-pod over IPv6`);
  const [a] = ps;
  const b = ps.find((p) => p.spec.nodeName !== a?.spec.nodeName)!;
  const [v6, v4] = lines(await lab.ok(["curl", a!.metadata.name, httpURL(podIPv6(b), 8080), httpURL(b.status?.podIP, 8080)]));
  assert.equal(v6?.pod, b.metadata.name, "the pod answers on IPv6");
  assert.equal(v4?.pod, b.metadata.name, "and on IPv4");
  assert.equal(v6?.client, podIPv6(a!), "IPv6 pod-to-pod traffic keeps its source");

  // The Service has a ClusterIP per family; the IPv6 one spreads over both nodes, TCP and UDP.
  const svc = await lab.json<Service>(["get", "service", "web"]);
  const cip6 = svc.spec.clusterIPs?.find((ip) => ip.includes(":"));
  assert.ok(cip6, `IPv6 ClusterIP allocated: ${svc.spec.clusterIPs}`);
  const viaSvc = lines(await lab.ok(["curl", a!.metadata.name, `http://[${cip6}]/`, "--count", "20"]));
  assert.deepEqual(new Set(viaSvc.map((e) => e.node)), new Set(["node-1", "node-2"]), "IPv6 ClusterIP reaches both nodes");
  const [dns] = lines(await lab.ok(["curl", a!.metadata.name, `udp://[${cip6}]:53`]));
  assert.ok(dns?.pod?.startsWith("web-"), `UDP over the IPv6 ClusterIP: ${JSON.stringify(dns)}`);
  if (proxyMode === "iptables")
    assert.match(
      await nodeRun(lab, "node-1", ["ip6tables-save", "-t", "nat"]),
      new RegExp(`-d ${cip6}/128 .*-j KUBE-SVC-`),
      "ip6tables carries the IPv6 service",
    );
  else
    assert.match(
      await nodeRun(lab, "node-1", ["nft", "list", "map", "ip6", "kube-proxy", "service-ips"]),
      new RegExp(`${cip6} \\. tcp \\. 80 : goto service-[A-Z2-7]{8}-default/web/tcp/http`),
      "the ip6 kube-proxy table carries the IPv6 service",
    );

  // NodePort over IPv6 from the external host, and IPv6 egress with the node's IPv6 address.
  const nodePort = svc.spec.ports?.find((p) => p.name === "http")?.nodePort;
  const [np] = lines(await lab.ok(["curl", "external", httpURL(ip6("node-2"), nodePort ?? 0), "--count", "1"]));
  assert.ok(np?.pod?.startsWith("web-"), `IPv6 NodePort from the external host: ${JSON.stringify(np)}`);
  for (const p of [a!, b]) {
    const [out] = lines(await lab.ok(["curl", p.metadata.name, INTERNET6, "--count", "1"]));
    assert.equal(out?.client, ip6(p.spec.nodeName ?? ""), `IPv6 egress of ${p.metadata.name} carries its node's IPv6 address`);
  }
  return ps;
}

test("dual-stack, host-gw, bridge: IPv6 pods, routes via the peer's IPv6 address, services and egress", { timeout: 180_000 }, async () => {
  await withLab(
    2,
    async (lab) => {
      await dualStackCases(lab, "host-gw/bridge");
      await subnetCases(lab);
      const routes = await nodeRun(lab, "node-1", ["ip", "-6", "route", "show", "proto", "81"]);
      assert.match(routes, /^fd00:10:244:1::\/64 via fd00:172:18::12 dev eth0/m);
      assert.match(routes, /^blackhole fd00:10:244::\/64 dev lo metric 1024/m);
    },
    ["--ip-family", "dual", "--routing-mode", "host-gw"],
  );
});

test("dual-stack, vxlan, bridge: IPv6 pods over the same VXLAN device, and the IPv6 MTU", { timeout: 180_000 }, async () => {
  await withLab(
    2,
    async (lab) => {
      const ps = await dualStackCases(lab, "vxlan/bridge");
      assert.match(
        await nodeRun(lab, "node-1", ["ip", "-6", "route", "show", "proto", "81"]),
        /^fd00:10:244:1::\/64 via fd00:10:244:1:: dev podnet\.1 .*onlink/m,
      );
      assert.match(
        await nodeRun(lab, "node-1", ["ip", "-6", "neigh", "show", "dev", "podnet.1"]),
        /^fd00:10:244:1:: lladdr \S+ PERMANENT/m,
      );
      // 1450 bytes of IPv6 (1402 of payload + 48 of headers) cross the overlay; one more fails at once.
      const a = ps.find((p) => p.spec.nodeName === "node-1")!;
      const b = ps.find((p) => p.spec.nodeName === "node-2")!;
      const ping = (size: number) =>
        lab.cli(["exec", a.metadata.name, "--", "ping", "-6", "-c", "1", "-W", "2", "-M", "do", "-s", String(size), podIPv6(b) ?? ""]);
      assert.equal((await ping(1402)).code, 0, "a 1450-byte IPv6 packet fits");
      const big = await ping(1403);
      assert.notEqual(big.code, 0);
      assert.match(big.stderr + big.stdout, /message too long/i);
    },
    ["--ip-family", "dual", "--routing-mode", "vxlan"],
  );
});

test(
  "dual-stack, bgp, routed, nftables proxy: IPv6 BGP sessions, proto bird routes, link-local gateways",
  { timeout: 180_000 },
  async () => {
    await withLab(
      2,
      async (lab) => {
        const ps = await dualStackCases(lab, "bgp/routed", "nftables");
        assert.match(await nodeRun(lab, "node-1", ["birdc", "show", "protocols"]), /node_node_2_v6\s+BGP\s+.*Established/);
        assert.match(await nodeRun(lab, "node-1", ["ip", "-6", "route"]), /^fd00:10:244:1::\/64 via fd00:172:18::12 dev eth0 proto bird/m);
        const a = ps.find((p) => p.spec.nodeName === "node-1")!;
        assert.match(
          await lab.ok(["exec", a.metadata.name, "--", "ip", "-6", "route"]),
          /^default via fe80::ecee:eeff:feee:eeee dev eth0/m,
        );
        assert.match(await nodeRun(lab, "node-1", ["ip", "-6", "route"]), new RegExp(`^${podIPv6(a)} dev \\S+`, "m"));
      },
      ["--ip-family", "dual", "--routing-mode", "bgp", "--cni-mode", "routed", "--proxy-mode", "nftables"],
    );
  },
);
