import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { test } from "node:test";
import * as packet from "dns-packet";
import { RealExecutor } from "../exec/real.js";
import type { EndpointSlice, Namespace, Pod, Service } from "../model/types.js";
import { answerReverse, answerZone } from "./answer.js";
import { dashed, parseZoneName, reverseAddress, reverseName, undash } from "./names.js";
import { buildIndex, type DnsIndex } from "./records.js";
import { DnsServer, qtypeOf } from "./server.js";

const ns = (name: string): Namespace => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
const svc = (namespace: string, name: string, spec: Service["spec"]): Service => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { namespace, name },
  spec,
});
const slice = (namespace: string, svcName: string, eps: [string, string?, boolean?][], ports: EndpointSlice["ports"]): EndpointSlice => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: { namespace, name: `${svcName}-x`, labels: { "kubernetes.io/service-name": svcName } },
  addressType: eps[0]?.[0].includes(":") ? "IPv6" : "IPv4",
  endpoints: eps.map(([ip, hostname, ready]) => ({
    addresses: [ip],
    ...(hostname ? { hostname } : {}),
    conditions: { ready: ready ?? true },
  })),
  ports,
});
const pod = (namespace: string, name: string, ip: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { namespace, name },
  spec: { containers: [{ name: "c" }] },
  status: { phase: "Running", podIP: ip, podIPs: [{ ip }] },
});

const web = { name: "http", protocol: "TCP" as const, port: 80 };
const INDEX: DnsIndex = buildIndex("cluster.local", 42, {
  namespaces: [ns("default"), ns("a"), ns("kube-system")],
  services: [
    svc("a", "web", {
      clusterIP: "10.96.0.20",
      clusterIPs: ["10.96.0.20", "fd00:10:96::20"],
      ports: [web, { name: "dns", protocol: "UDP", port: 53 }],
    }),
    svc("a", "db", { clusterIP: "None", ports: [{ name: "pg", protocol: "TCP", port: 5432 }] }),
    svc("a", "empty", { clusterIP: "None", ports: [web] }),
    svc("a", "ext", { type: "ExternalName", externalName: "www.example.test." }),
    svc("kube-system", "kube-dns", { clusterIP: "10.96.0.10", ports: [{ name: "dns", protocol: "UDP", port: 53 }] }),
  ],
  slices: [
    slice(
      "a",
      "db",
      [["10.244.1.5", "db-0"], ["10.244.2.7"], ["10.244.2.9", undefined, false]],
      [{ name: "pg", protocol: "TCP", port: 5432 }],
    ),
    slice("a", "web", [["10.244.1.5"]], [{ name: "http", protocol: "TCP", port: 8080 }]),
  ],
  pods: [pod("a", "p1", "10.244.1.5"), pod("a", "p2", "10.244.2.7"), pod("default", "lone", "10.244.3.3")],
});

const q = (name: string, type: packet.RecordType = "A") => answerZone(INDEX, { name, type });
/** rdata reads a record's data (OPT, the one kind without it, never occurs here). */
const rdata = (a: packet.Answer) => (a as { data?: unknown }).data;
const data = (r: ReturnType<typeof q>) =>
  r.answers.map((a) => (a.type === "SRV" ? `${a.data.port} ${a.data.weight} ${a.data.target}` : String(rdata(a))));

test("names: zone names parse as CoreDNS parses them; dashed and reverse forms round-trip", () => {
  assert.deepEqual(parseZoneName("_http._tcp.web.a.svc.cluster.local", "cluster.local"), {
    kind: "svc",
    namespace: "a",
    service: "web",
    port: "http",
    protocol: "tcp",
  });
  assert.deepEqual(parseZoneName("db-0.db.a.svc.cluster.local", "cluster.local"), {
    kind: "svc",
    namespace: "a",
    service: "db",
    endpoint: "db-0",
  });
  assert.deepEqual(parseZoneName("x.y.z.web.a.svc.cluster.local", "cluster.local"), { kind: "invalid" });
  assert.deepEqual(parseZoneName("web.a.nodes.cluster.local", "cluster.local"), { kind: "invalid" });
  assert.equal(undash(dashed("10.244.1.5")), "10.244.1.5");
  assert.equal(undash(dashed("fd00:10:244::5")), "fd00:10:244::5");
  assert.equal(undash("10-244-1"), undefined);
  for (const ip of ["10.96.0.10", "fd00:10:96::a"]) assert.equal(reverseAddress(reverseName(ip)), ip);
  assert.equal(reverseName("10.96.0.10"), "10.0.96.10.in-addr.arpa");
  assert.equal(reverseAddress("96.10.in-addr.arpa"), undefined);
  const query = (name: string, type: packet.RecordType) => packet.encode({ type: "query", id: 7, questions: [{ name, type }] });
  assert.equal(qtypeOf(query("web.a.svc.cluster.local", "SRV")), 33);
  assert.equal(qtypeOf(query("x", "AAAA")), 28);
  assert.equal(qtypeOf(Buffer.alloc(12)), 0, "no question");
});

test("zone answers: every record type, NXDOMAIN against NODATA as CoreDNS gives them", () => {
  const cases: [string, packet.RecordType, string, string[]][] = [
    ["web.a.svc.cluster.local", "A", "NOERROR", ["10.96.0.20"]],
    ["WEB.A.svc.cluster.local", "A", "NOERROR", ["10.96.0.20"]],
    ["web.a.svc.cluster.local", "AAAA", "NOERROR", ["fd00:10:96::20"]],
    ["web.a.svc.cluster.local", "TXT", "NOERROR", []],
    ["_http._tcp.web.a.svc.cluster.local", "SRV", "NOERROR", ["80 100 web.a.svc.cluster.local"]],
    ["_http._udp.web.a.svc.cluster.local", "SRV", "NXDOMAIN", []],
    ["_nope._tcp.web.a.svc.cluster.local", "A", "NXDOMAIN", []],
    ["web.a.svc.cluster.local", "SRV", "NOERROR", ["80 50 web.a.svc.cluster.local", "53 50 web.a.svc.cluster.local"]],
    ["db.a.svc.cluster.local", "A", "NOERROR", ["10.244.1.5", "10.244.2.7"]],
    ["db.a.svc.cluster.local", "AAAA", "NOERROR", []],
    ["db-0.db.a.svc.cluster.local", "A", "NOERROR", ["10.244.1.5"]],
    ["10-244-2-7.db.a.svc.cluster.local", "A", "NOERROR", ["10.244.2.7"]],
    ["10-244-2-9.db.a.svc.cluster.local", "A", "NXDOMAIN", []],
    [
      "_pg._tcp.db.a.svc.cluster.local",
      "SRV",
      "NOERROR",
      ["5432 50 db-0.db.a.svc.cluster.local", "5432 50 10-244-2-7.db.a.svc.cluster.local"],
    ],
    ["empty.a.svc.cluster.local", "A", "NXDOMAIN", []],
    ["ext.a.svc.cluster.local", "CNAME", "NOERROR", ["www.example.test"]],
    ["missing.a.svc.cluster.local", "A", "NXDOMAIN", []],
    ["a.svc.cluster.local", "A", "NOERROR", []],
    ["svc.cluster.local", "A", "NOERROR", []],
    ["cluster.local", "A", "NOERROR", []],
    ["10-244-3-3.default.pod.cluster.local", "A", "NOERROR", ["10.244.3.3"]],
    ["10-244-3.default.pod.cluster.local", "A", "NXDOMAIN", []],
    ["dns-version.cluster.local", "TXT", "NOERROR", ["1.1.0"]],
    ["web.a.nodes.cluster.local", "A", "NXDOMAIN", []],
  ];
  for (const [name, type, rcode, want] of cases) {
    const r = q(name, type);
    assert.equal(r.rcode, rcode, `${type} ${name}`);
    assert.deepEqual(data(r), want, `${type} ${name}`);
    if (want.length === 0) assert.equal(r.authority[0]?.type, "SOA", `${type} ${name} has the SOA as authority`);
  }
  assert.equal(q("ext.a.svc.cluster.local").chase, "www.example.test", "an ExternalName's target is resolved upstream");
  assert.deepEqual(
    q("db.a.svc.cluster.local", "SRV").additionals.map((a) => `${a.name} ${rdata(a)}`),
    ["db-0.db.a.svc.cluster.local 10.244.1.5", "10-244-2-7.db.a.svc.cluster.local 10.244.2.7"],
  );
  assert.equal(q("web.a.svc.cluster.local").answers[0] && (q("web.a.svc.cluster.local").answers[0] as { ttl?: number }).ttl, 5);
  assert.equal(q("web.a.svc.cluster.local").answers[0]?.name, "web.a.svc.cluster.local");
  assert.equal(q("WEB.A.svc.cluster.local").answers[0]?.name, "WEB.A.svc.cluster.local", "the owner keeps the question's case");
  const verified = (name: string) => answerZone(INDEX, { name, type: "A" }, "verified").rcode;
  assert.equal(verified("10-244-3-3.default.pod.cluster.local"), "NOERROR");
  assert.equal(verified("10-244-3-3.a.pod.cluster.local"), "NXDOMAIN", "verified: the address is no pod of that namespace");
  assert.equal(verified("10-9-9-9.default.pod.cluster.local"), "NXDOMAIN");
});

test("PTR: ClusterIPs name their Service, endpoints their hostname, other pods their pod name; unknown addresses go upstream", () => {
  const ptr = (ip: string) => answerReverse(INDEX, { name: reverseName(ip), type: "PTR" }, ip)?.answers.map(rdata);
  assert.deepEqual(ptr("10.96.0.20"), ["web.a.svc.cluster.local"]);
  assert.deepEqual(ptr("fd00:10:96::20"), ["web.a.svc.cluster.local"]);
  assert.deepEqual(ptr("10.244.1.5"), ["10-244-1-5.web.a.svc.cluster.local", "db-0.db.a.svc.cluster.local"], "every name it has");
  assert.deepEqual(ptr("10.244.3.3"), ["10-244-3-3.default.pod.cluster.local"]);
  assert.equal(ptr("192.0.2.1"), undefined);
});

/** upstream answers every A question with 203.0.113.7 and counts what it got. */
async function upstream(): Promise<{ port: number; seen: string[]; close: () => void }> {
  const sock = createSocket("udp4");
  const seen: string[] = [];
  sock.on("message", (m, r) => {
    const p = packet.decode(m);
    const qn = p.questions?.[0];
    seen.push(`${qn?.type} ${qn?.name}`);
    const answers: packet.Answer[] = qn?.type === "A" ? [{ name: qn.name, type: "A", ttl: 60, data: "203.0.113.7" }] : [];
    sock.send(
      packet.encode({ id: p.id ?? 0, type: "response", flags: packet.RECURSION_AVAILABLE, questions: p.questions ?? [], answers }),
      r.port,
      r.address,
    );
  });
  await new Promise<void>((res) => sock.bind(0, "127.0.0.1", res));
  return { port: sock.address().port, seen, close: () => sock.close() };
}

/** dig runs the real client against the server. */
const exec = new RealExecutor();
const dig = async (port: number, ...args: string[]) =>
  (await exec.run({ argv: ["dig", "@127.0.0.1", "-p", String(port), "+tries=1", "+time=2", ...args], netns: null })).stdout;

test("server on loopback, asked by dig: UDP and TCP, truncation to TCP, forwarding, CNAME chased, the cache follows the index", async () => {
  const up = await upstream();
  const server = new DnsServer({
    podMode: "insecure",
    upstreams: [{ host: "127.0.0.1", port: up.port }],
    dnsIPs: ["10.96.0.10"],
    log: () => {},
  });
  server.setIndex(INDEX);
  const port = await server.listen(["127.0.0.1"], 0);
  try {
    assert.equal((await dig(port, "+short", "web.a.svc.cluster.local")).trim(), "10.96.0.20");
    assert.equal((await dig(port, "+short", "+tcp", "web.a.svc.cluster.local")).trim(), "10.96.0.20");
    assert.match(
      await dig(port, "missing.a.svc.cluster.local"),
      /status: NXDOMAIN[\s\S]*flags: qr aa rd ra[\s\S]*AUTHORITY SECTION:\ncluster\.local\.\s+5\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. 42 7200 1800 86400 5/,
    );
    assert.equal((await dig(port, "+short", "www.example.test")).trim(), "203.0.113.7", "forwarded upstream");
    assert.deepEqual((await dig(port, "+short", "ext.a.svc.cluster.local")).trim().split("\n"), ["www.example.test.", "203.0.113.7"]);
    assert.equal((await dig(port, "+short", "-x", "10.96.0.20")).trim(), "web.a.svc.cluster.local.");

    // 60 endpoints do not fit in 512 bytes: dig without EDNS sees TC and retries over TCP by itself.
    const many = buildIndex("cluster.local", 43, {
      namespaces: [ns("a")],
      services: [svc("a", "big", { clusterIP: "None", ports: [web] })],
      slices: [
        slice(
          "a",
          "big",
          Array.from({ length: 60 }, (_, i) => [`10.244.9.${i + 1}`] as [string]),
          [web],
        ),
      ],
      pods: [],
    });
    server.setIndex(many);
    assert.equal((await dig(port, "+short", "web.a.svc.cluster.local")).trim(), "", "the cache went with the old index");
    const udpOnly = await dig(port, "+noedns", "+ignore", "big.a.svc.cluster.local");
    assert.match(udpOnly, /flags: qr aa tc rd ra/);
    const answered = (udpOnly.match(/IN\s+A\s+10\.244\.9\./g) ?? []).length;
    assert.ok(answered > 0 && answered < 60, `UDP carried what fits: ${answered}`);
    const retried = await dig(port, "+noedns", "big.a.svc.cluster.local");
    assert.match(retried, /Truncated, retrying in TCP mode/);
    assert.equal((retried.match(/IN\s+A\s+10\.244\.9\./g) ?? []).length, 60);
    const all = (await dig(port, "+short", "big.a.svc.cluster.local")).match(/10\.244\.9\./g) ?? [];
    assert.equal(all.length, 60, "EDNS's 1232 bytes hold all 60");
  } finally {
    await server.close();
    up.close();
  }
  assert.deepEqual(up.seen, ["A www.example.test", "A www.example.test"]);
});
