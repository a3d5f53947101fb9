import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { categorizeEndpoints } from "./categorize.js";
import { conntrackArgv } from "../netfilter/index.js";
import { staleFlows } from "./conntrack.js";
import { serviceEndpoints } from "./endpoints.js";
import { makeService, makeSlice, overall, testConfig } from "./fixtures.js";
import { healthBody, healthTargets } from "./healthcheck.js";
import { endpointChain, serviceChains } from "./iptables/names.js";
import { renderContext, renderFullSync } from "./iptables/proxier.js";
import { renderPort } from "./iptables/render.js";
import { servicePorts } from "./serviceport.js";
import { ServiceTracker } from "./tracker.js";

const GOLDEN = fileURLToPath(new URL("../../../src/proxy/testdata/overall.rules", import.meta.url));

test("chain names are kube-proxy's (base32 of SHA-256, 16 characters)", () => {
  assert.equal(serviceChains("ns1/svc1:p80", "TCP").svc, "KUBE-SVC-XPGD46QRK7WJZT7O");
  assert.equal(serviceChains("ns5/svc5:p80", "tcp").fw, "KUBE-FW-NUKIZ6OKUXPJNT4C");
  assert.equal(serviceChains("ns2/svc2:p80", "tcp").ext, "KUBE-EXT-GNZBNJ2PO5MGZ6GT");
  assert.equal(endpointChain("ns4/svc4:p80", "tcp", "10.180.0.5:80"), "KUBE-SEP-C6EBXVWJJZMIWKLZ");
});

test("a full sync of kube-proxy's overall scenario renders the golden rules", () => {
  const { text, errors } = renderFullSync(overall(), testConfig, 4);
  assert.deepEqual(errors, []);
  if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, text);
  assert.equal(text, readFileSync(GOLDEN, "utf8"));
});

test("endpoint categories follow kube-proxy (table)", () => {
  const sp = (spec: Parameters<typeof makeService>[2]) => servicePorts(makeService("ns", "s", { clusterIP: "10.96.0.1", ...spec }), 4)[0]!;
  const eps = (list: Parameters<typeof makeSlice>[2]) =>
    serviceEndpoints([makeSlice("ns", "s", list)], 4, "test-node").get("p80/TCP") ?? [];
  const ips = (xs: { ip: string }[]) => xs.map((x) => x.ip).join(",");
  const cases = [
    {
      name: "ready only",
      spec: {},
      eps: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2", ready: false }],
      cluster: "10.0.0.1",
      local: "",
      any: true,
    },
    {
      name: "terminating fallback",
      spec: {},
      eps: [{ ip: "10.0.0.1", ready: false, serving: true, terminating: true }],
      cluster: "10.0.0.1",
      local: "",
      any: true,
    },
    {
      name: "not serving is unusable",
      spec: {},
      eps: [{ ip: "10.0.0.1", ready: false, serving: false, terminating: true }],
      cluster: "",
      local: "",
      any: false,
    },
    {
      name: "internal Local",
      spec: { internalTrafficPolicy: "Local" as const },
      eps: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2", node: "test-node" }],
      cluster: "",
      local: "10.0.0.2",
      any: true,
    },
    {
      name: "internal Local, none here",
      spec: { internalTrafficPolicy: "Local" as const },
      eps: [{ ip: "10.0.0.1" }],
      cluster: "",
      local: "",
      any: true,
    },
    {
      name: "topology hints for our zone",
      spec: { trafficDistribution: "PreferClose" },
      eps: [
        { ip: "10.0.0.1", zones: ["a"] },
        { ip: "10.0.0.2", zones: ["b"] },
      ],
      cluster: "10.0.0.1",
      local: "",
      any: true,
    },
  ];
  for (const c of cases) {
    const r = categorizeEndpoints(eps(c.eps), sp(c.spec), { "topology.kubernetes.io/zone": "a" });
    assert.equal(ips(r.cluster), c.cluster, `${c.name}: cluster`);
    assert.equal(ips(r.local), c.local, `${c.name}: local`);
    assert.equal(r.hasAny, c.any, `${c.name}: hasAny`);
  }
});

test("endpoints from several slices come sorted by the string ip:port (as kube-proxy), each once, a ready copy preferred (table)", () => {
  const slice = (name: string, list: Parameters<typeof makeSlice>[2]) => ({
    ...makeSlice("ns", "s", list),
    metadata: { ...makeSlice("ns", "s", []).metadata, name },
  });
  const cases = [
    { name: "in order", slices: [[{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }]], want: "10.0.0.1:80+,10.0.0.2:80+" },
    {
      name: "out of order",
      slices: [[{ ip: "10.0.0.9" }, { ip: "10.0.0.10" }, { ip: "10.0.0.1" }]],
      want: "10.0.0.10:80+,10.0.0.1:80+,10.0.0.9:80+",
    },
    {
      name: "duplicate, ready later",
      slices: [[{ ip: "10.0.0.2", ready: false }], [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }]],
      want: "10.0.0.1:80+,10.0.0.2:80+",
    },
    { name: "duplicate, first ready kept", slices: [[{ ip: "10.0.0.2" }], [{ ip: "10.0.0.2", ready: false }]], want: "10.0.0.2:80+" },
    {
      name: "duplicate, neither ready",
      slices: [[{ ip: "10.0.0.3", ready: false }], [{ ip: "10.0.0.3", ready: false }]],
      want: "10.0.0.3:80-",
    },
  ];
  for (const c of cases) {
    const eps =
      serviceEndpoints(
        c.slices.map((l, i) => slice(`s-${i}`, l)),
        4,
        "test-node",
      ).get("p80/TCP") ?? [];
    assert.equal(eps.map((e) => `${e.hostPort}${e.ready ? "+" : "-"}`).join(","), c.want, c.name);
  }
});

test("internalTrafficPolicy Local without local endpoints DROPs the cluster IP; masquerade-all marks everything", () => {
  const sp = servicePorts(makeService("ns", "s", { clusterIP: "10.96.0.1", internalTrafficPolicy: "Local" }), 4)[0]!;
  const eps = serviceEndpoints([makeSlice("ns", "s", [{ ip: "10.0.0.1", node: "other" }])], 4, "test-node").get("p80/TCP")!;
  const r = renderPort(sp, eps, renderContext(testConfig, 4, false));
  assert.deepEqual(r.top["filter/KUBE-SERVICES"], [
    '-A KUBE-SERVICES -m comment --comment "ns/s:p80 has no local endpoints" -m tcp -p tcp -d 10.96.0.1 --dport 80 -j DROP',
  ]);
  const all = renderPort(
    servicePorts(makeService("ns", "s", { clusterIP: "10.96.0.1" }), 4)[0]!,
    eps,
    renderContext({ ...testConfig, masqueradeAll: true }, 4, false),
  );
  assert.match(all.chains[0]![1].split("\n")[0]!, /--dport 80 -j KUBE-MARK-MASQ$/);
});

test("IPv6 services render with bracketed endpoints and no localhost NodePorts", () => {
  const t = new ServiceTracker();
  t.replaceAll(
    [
      makeService("ns", "v6", {
        type: "NodePort",
        clusterIPs: ["fd00:10:96::a"],
        ports: [{ name: "p80", port: 80, protocol: "TCP", nodePort: 30080 }],
      }),
    ],
    [{ ...makeSlice("ns", "v6", [{ ip: "fd00:10:244::5" }]), addressType: "IPv6" }],
  );
  const { text } = renderFullSync(t, { ...testConfig, clusterCIDRs: ["fd00:10:244::/56"] }, 6);
  assert.match(text, /-j DNAT --to-destination \[fd00:10:244::5\]:80/);
  assert.match(text, /--dst-type LOCAL ! -d ::1\/128 -j KUBE-NODEPORTS/);
  assert.doesNotMatch(text, /KUBE-FIREWALL/);
  assert.equal(renderFullSync(t, testConfig, 4).text.includes("fd00"), false, "the IPv4 proxier ignores IPv6 services");
});

test("a removed UDP endpoint flushes its conntrack flows; a first endpoint flushes the service IP", () => {
  const sp = servicePorts(
    makeService("ns", "u", {
      clusterIP: "10.96.0.9",
      type: "NodePort",
      ports: [{ name: "p80", port: 53, protocol: "UDP", nodePort: 30053 }],
    }),
    4,
  )[0]!;
  const ctx = renderContext(testConfig, 4, false);
  const eps = (ips: string[]) =>
    serviceEndpoints(
      [
        makeSlice(
          "ns",
          "u",
          ips.map((ip) => ({ ip })),
          5353,
          "UDP",
        ),
      ],
      4,
      "n",
    ).get("p80/UDP") ?? [];
  const a = renderPort(sp, eps(["10.0.0.1", "10.0.0.2"]), ctx);
  const b = renderPort(sp, eps(["10.0.0.2"]), ctx);
  assert.deepEqual(staleFlows(a, b).map(conntrackArgv), [
    ["conntrack", "-D", "-f", "ipv4", "-p", "udp", "--orig-dst", "10.96.0.9", "--dst-nat", "10.0.0.1"],
    ["conntrack", "-D", "-f", "ipv4", "-p", "udp", "--orig-port-dst", "30053", "--dst-nat", "10.0.0.1"],
  ]);
  const none = renderPort(sp, [], ctx);
  assert.deepEqual(
    staleFlows(none, b).map((f) => conntrackArgv(f).slice(6).join(" ")),
    ["--orig-dst 10.96.0.9", "--orig-port-dst 30053"],
  );
});

test("health checks count this node's ready endpoints, per service, in kube-proxy's JSON", () => {
  const t = overall();
  const ctx = renderContext(testConfig, 4, false);
  const rules = [...t.services.values()].flatMap((s) =>
    servicePorts(s, 4).map((sp) =>
      renderPort(
        sp,
        serviceEndpoints(t.slices.get(`${sp.namespace}/${sp.name}`)?.values() ?? [], 4, "test-node").get("p80/TCP") ?? [],
        ctx,
      ),
    ),
  );
  const targets = healthTargets(rules);
  assert.deepEqual([...targets], [[30000, { namespace: "ns2", name: "svc2", localEndpoints: 0 }]]);
  assert.deepEqual(JSON.parse(healthBody({ namespace: "a", name: "b", localEndpoints: 2 }, true)), {
    service: { namespace: "a", name: "b" },
    localEndpoints: 2,
    serviceProxyHealthy: true,
  });
});
