/**
 * ipvs mode (render only): goldens of kube-proxy's overall scenario and of the edge cases, and
 * table-driven cases taken from what kube-proxy's ipvs proxier tests and code specify — which
 * virtual servers exist, which real servers they get, which set entries and helper rules appear.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { edge, makeService, makeSlice, overall, testConfig } from "../fixtures.js";
import { ServiceTracker } from "../tracker.js";
import type { ProxyConfig } from "../types.js";
import { type IpvsOptions, renderIpvs, renderIpvsText } from "./render.js";

const RR: IpvsOptions = { scheduler: "rr" };
const golden = (name: string) => new URL(`../../../../src/proxy/testdata/${name}`, import.meta.url);

function checkGolden(name: string, text: string): void {
  if (process.env.UPDATE_GOLDEN) writeFileSync(golden(name), text);
  assert.equal(text, readFileSync(golden(name), "utf8"));
}

test("ipvs full sync of kube-proxy's overall scenario (golden), and a second render is identical", () => {
  const r = renderIpvs(overall(), testConfig, 4, RR);
  assert.deepEqual(r.errors, []);
  checkGolden("overall.ipvs", renderIpvsText(r));
  assert.equal(renderIpvsText(renderIpvs(overall(), testConfig, 4, RR)), renderIpvsText(r));
});

test("ipvs full sync of the edge cases: terminating fallback, internal Local, SCTP, topology, masquerade-all (golden)", () => {
  const cfg = { ...testConfig, masqueradeAll: true, nodeLabels: { "topology.kubernetes.io/zone": "zone-a" } };
  const r = renderIpvs(edge(), cfg, 4, { scheduler: "mh" });
  assert.deepEqual(r.errors, []);
  checkGolden("edge.ipvs", renderIpvsText(r));
});

/** Rendered is one render cut into what the cases look at. */
interface Rendered {
  ipvsadm: string[];
  sets: Map<string, string[]>;
  rules: string[];
  ip: string[];
}

function render(t: ServiceTracker, cfg: ProxyConfig = testConfig, family: 4 | 6 = 4, opts = RR): Rendered {
  const r = renderIpvs(t, cfg, family, opts);
  assert.deepEqual(r.errors, []);
  const text = (title: RegExp) => r.sections.find((s) => title.test(s.title))?.text.split("\n") ?? [];
  const sets = new Map<string, string[]>();
  for (const l of text(/^ipset /)) {
    const [op, name, entry] = l.split(" ");
    if (op === "add" && name && entry) sets.set(name, [...(sets.get(name) ?? []), entry]);
  }
  return { ipvsadm: r.ipvsadm.trim().split("\n"), sets, rules: text(/^ip6?tables-restore/), ip: text(/^ip -batch/) };
}

function tracker(services: Parameters<ServiceTracker["replaceAll"]>[0], slices: Parameters<ServiceTracker["replaceAll"]>[1]) {
  const t = new ServiceTracker();
  t.replaceAll(services, slices);
  return t;
}

const np = (nodePort: number, protocol: "TCP" | "UDP" | "SCTP" = "TCP") => [{ name: "p80", port: 80, protocol, nodePort }];

test("kube-proxy's expectations for ipvs mode (table)", () => {
  const cases: { name: string; t: ServiceTracker; cfg?: ProxyConfig; check: (r: Rendered) => void }[] = [
    {
      name: "ClusterIP without endpoints: one virtual server, no real server (TestClusterIPNoEndpoint)",
      t: tracker([makeService("ns1", "svc1", { clusterIP: "10.20.30.41" })], []),
      check: (r) => assert.deepEqual(r.ipvsadm, ["-A -t 10.20.30.41:80 -s rr"]),
    },
    {
      name: "NodePort: a virtual server on the ClusterIP and on each node IP, all endpoints behind both (TestNodePort)",
      t: tracker(
        [makeService("ns1", "svc1", { type: "NodePort", clusterIP: "10.20.30.41", ports: np(3001) })],
        [makeSlice("ns1", "svc1", [{ ip: "10.180.0.1" }, { ip: "10.180.0.2" }])],
      ),
      cfg: { ...testConfig, nodeIPs: ["100.101.102.103", "100.101.102.104"] },
      check: (r) => {
        for (const vs of ["10.20.30.41:80", "100.101.102.103:3001", "100.101.102.104:3001"]) {
          assert.ok(r.ipvsadm.includes(`-A -t ${vs} -s rr`), vs);
          for (const ep of ["10.180.0.1:80", "10.180.0.2:80"])
            assert.ok(r.ipvsadm.includes(`-a -t ${vs} -r ${ep} -m -w 1`), `${vs} → ${ep}`);
        }
        assert.deepEqual(r.sets.get("KUBE-NODE-PORT-TCP"), ["3001"]);
        assert.ok(!r.ip.some((l) => l.includes("100.101.102.103")), "node IPs are not bound to kube-ipvs0");
      },
    },
    {
      name: "externalTrafficPolicy Local: NodePort and LB send only to local endpoints; the ClusterIP to all (TestOnlyLocalNodePorts)",
      t: tracker(
        [
          makeService("ns1", "svc1", { type: "LoadBalancer", externalTrafficPolicy: "Local", clusterIP: "10.20.30.41", ports: np(3001) }, [
            "1.2.3.4",
          ]),
        ],
        [makeSlice("ns1", "svc1", [{ ip: "10.180.0.1" }, { ip: "10.180.1.1", node: "test-node" }])],
      ),
      check: (r) => {
        assert.deepEqual(
          r.ipvsadm.filter((l) => l.startsWith("-a -t 192.168.0.2:3001") || l.startsWith("-a -t 1.2.3.4:80")),
          ["-a -t 1.2.3.4:80 -r 10.180.1.1:80 -m -w 1", "-a -t 192.168.0.2:3001 -r 10.180.1.1:80 -m -w 1"],
        );
        assert.equal(r.ipvsadm.filter((l) => l.startsWith("-a -t 10.20.30.41:80")).length, 2);
        assert.deepEqual(r.sets.get("KUBE-NODE-PORT-LOCAL-TCP"), ["3001"]);
        assert.deepEqual(r.sets.get("KUBE-LOAD-BALANCER-LOCAL"), ["1.2.3.4,tcp:80"]);
        const local = r.rules.findIndex((l) => l.includes("KUBE-NODE-PORT-LOCAL-TCP dst -j RETURN"));
        const masq = r.rules.findIndex((l) => l.includes("KUBE-NODE-PORT-TCP dst -j KUBE-MARK-MASQ"));
        assert.ok(local >= 0 && local < masq, "the Local set's RETURN comes before the masquerade mark");
      },
    },
    {
      name: "Local policy with no local endpoint keeps every endpoint, so local pods can still connect (kubernetes#97081)",
      t: tracker(
        [makeService("ns1", "svc1", { type: "NodePort", externalTrafficPolicy: "Local", clusterIP: "10.20.30.41", ports: np(3001) })],
        [makeSlice("ns1", "svc1", [{ ip: "10.180.0.1" }])],
      ),
      check: (r) => assert.ok(r.ipvsadm.includes("-a -t 192.168.0.2:3001 -r 10.180.0.1:80 -m -w 1")),
    },
    {
      name: "hairpin: KUBE-LOOP-BACK holds only this node's endpoints",
      t: tracker(
        [makeService("ns1", "svc1", { clusterIP: "10.20.30.41" })],
        [makeSlice("ns1", "svc1", [{ ip: "10.180.0.1" }, { ip: "10.180.1.1", node: "test-node" }])],
      ),
      check: (r) => assert.deepEqual(r.sets.get("KUBE-LOOP-BACK"), ["10.180.1.1,tcp:80,10.180.1.1"]),
    },
    {
      name: "externalIPs: bound to kube-ipvs0, in KUBE-EXTERNAL-IP, marked for masquerade and accepted only from off the node",
      t: tracker(
        [makeService("ns1", "svc1", { clusterIP: "10.20.30.41", externalIPs: ["192.0.2.10"] })],
        [makeSlice("ns1", "svc1", [{ ip: "10.180.0.1" }])],
      ),
      check: (r) => {
        assert.deepEqual(r.sets.get("KUBE-EXTERNAL-IP"), ["192.0.2.10,tcp:80"]);
        assert.equal(r.sets.get("KUBE-EXTERNAL-IP-LOCAL"), undefined);
        assert.ok(r.ip.includes("address add 192.0.2.10/32 dev kube-ipvs0"));
        assert.ok(r.rules.some((l) => /KUBE-EXTERNAL-IP dst,dst -j KUBE-MARK-MASQ$/.test(l)));
        assert.ok(
          r.rules.some((l) => /KUBE-EXTERNAL-IP dst,dst -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT$/.test(l)),
        );
      },
    },
    {
      name: "externalIPs with a Local policy go to KUBE-EXTERNAL-IP-LOCAL only, and are not masqueraded",
      t: tracker(
        [
          makeService("ns1", "svc1", {
            type: "NodePort",
            externalTrafficPolicy: "Local",
            clusterIP: "10.20.30.41",
            ports: np(3001),
            externalIPs: ["192.0.2.10"],
          }),
        ],
        [makeSlice("ns1", "svc1", [{ ip: "10.180.0.1", node: "test-node" }])],
      ),
      check: (r) => {
        assert.deepEqual(r.sets.get("KUBE-EXTERNAL-IP-LOCAL"), ["192.0.2.10,tcp:80"]);
        assert.equal(r.sets.get("KUBE-EXTERNAL-IP"), undefined);
        assert.ok(!r.rules.some((l) => l.includes("KUBE-EXTERNAL-IP-LOCAL dst,dst -j KUBE-MARK-MASQ")));
      },
    },
    {
      name: "source ranges that leave out the node: FW and CIDR entries, and the node itself is dropped (kubernetes#119656)",
      t: tracker(
        [
          makeService(
            "ns1",
            "svc1",
            { type: "LoadBalancer", clusterIP: "10.20.30.41", ports: np(3001), loadBalancerSourceRanges: ["203.0.113.0/25"] },
            ["1.2.3.4"],
          ),
        ],
        [makeSlice("ns1", "svc1", [{ ip: "10.180.0.1" }])],
      ),
      check: (r) => {
        assert.deepEqual(r.sets.get("KUBE-LOAD-BALANCER-FW"), ["1.2.3.4,tcp:80"]);
        assert.deepEqual(r.sets.get("KUBE-LOAD-BALANCER-SOURCE-CIDR"), ["1.2.3.4,tcp:80,203.0.113.0/25"]);
        assert.equal(r.sets.get("KUBE-LOAD-BALANCER-SOURCE-IP"), undefined);
        assert.ok(r.rules.includes("-A KUBE-IPVS-OUT-FILTER -s 1.2.3.4 -m ipvs --vaddr 1.2.3.4 --vproto tcp --vport 80 -j DROP"));
      },
    },
    {
      name: "source ranges that hold the node's IP let the node in through KUBE-LOAD-BALANCER-SOURCE-IP",
      t: tracker(
        [
          makeService(
            "ns1",
            "svc1",
            { type: "LoadBalancer", clusterIP: "10.20.30.41", ports: np(3001), loadBalancerSourceRanges: ["192.168.0.0/24"] },
            ["1.2.3.4"],
          ),
        ],
        [makeSlice("ns1", "svc1", [{ ip: "10.180.0.1" }])],
      ),
      check: (r) => {
        assert.deepEqual(r.sets.get("KUBE-LOAD-BALANCER-SOURCE-IP"), ["1.2.3.4,tcp:80,1.2.3.4"]);
        assert.ok(!r.rules.some((l) => l.includes("-m ipvs")));
      },
    },
    {
      name: "ClientIP affinity is persistence with the sticky timeout; a health check port is accepted (TestSessionAffinity, TestHealthCheckNodePort)",
      t: tracker(
        [
          makeService("ns1", "svc1", {
            type: "LoadBalancer",
            externalTrafficPolicy: "Local",
            clusterIP: "10.20.30.41",
            ports: np(3001),
            healthCheckNodePort: 30000,
            sessionAffinity: "ClientIP",
            sessionAffinityConfig: { clientIP: { timeoutSeconds: 300 } },
          }),
        ],
        [makeSlice("ns1", "svc1", [{ ip: "10.180.0.1", node: "test-node" }])],
      ),
      check: (r) => {
        assert.ok(r.ipvsadm.includes("-A -t 10.20.30.41:80 -s rr -p 300"));
        assert.ok(r.ipvsadm.includes("-A -t 192.168.0.2:3001 -s rr -p 300"));
        assert.deepEqual(r.sets.get("KUBE-HEALTH-CHECK-NODE-PORT"), ["30000"]);
      },
    },
    {
      name: "SCTP NodePorts are hash:ip,port entries, one per node IP",
      t: tracker(
        [makeService("ns1", "svc1", { type: "NodePort", clusterIP: "10.20.30.41", ports: np(3001, "SCTP") })],
        [{ ...makeSlice("ns1", "svc1", [{ ip: "10.180.0.1" }]), ports: [{ name: "p80", port: 80, protocol: "SCTP" }] }],
      ),
      check: (r) => {
        assert.deepEqual(r.sets.get("KUBE-NODE-PORT-SCTP-HASH"), ["192.168.0.2,sctp:3001"]);
        assert.ok(r.ipvsadm.includes("-A --sctp-service 192.168.0.2:3001 -s rr"));
        assert.ok(r.rules.some((l) => /^-A KUBE-NODE-PORT -p sctp .*KUBE-NODE-PORT-SCTP-HASH dst,dst -j KUBE-MARK-MASQ$/.test(l)));
      },
    },
  ];
  for (const c of cases) {
    try {
      c.check(render(c.t, c.cfg));
    } catch (e) {
      throw new Error(`case "${c.name}": ${(e as Error).message}`);
    }
  }
});

test("ipvs mode for IPv6: KUBE-6- sets, bracketed virtual servers, ::1 left alone", () => {
  const v6 = { ...makeSlice("ns1", "web", [{ ip: "fd00:10::5", node: "test-node" }]), addressType: "IPv6" as const };
  const t = tracker([makeService("ns1", "web", { clusterIP: "fd00:30::10", clusterIPs: ["fd00:30::10"], ipFamilies: ["IPv6"] })], [v6]);
  const r = render(t, { ...testConfig, nodeIPs: ["fd00:1::2"], clusterCIDRs: ["fd00:10::/48"] }, 6);
  assert.deepEqual(r.ipvsadm, ["-A -t [fd00:30::10]:80 -s rr", "-a -t [fd00:30::10]:80 -r [fd00:10::5]:80 -m -w 1"]);
  assert.deepEqual(r.sets.get("KUBE-6-CLUSTER-IP"), ["fd00:30::10,tcp:80"]);
  assert.deepEqual(r.sets.get("KUBE-6-LOOP-BACK"), ["fd00:10::5,tcp:80,fd00:10::5"]);
  assert.ok(r.ip.includes("address add fd00:30::10/128 dev kube-ipvs0"));
  assert.ok(r.rules.includes("-A KUBE-SERVICES -s ::1/128 -j RETURN"));
  assert.ok(r.rules.some((l) => l.includes("KUBE-6-CLUSTER-IP dst,dst ! -s fd00:10::/48 -j KUBE-MARK-MASQ")));
});
