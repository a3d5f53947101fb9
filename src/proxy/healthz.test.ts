import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import type { Node } from "../model/types.js";
import { closeServer, parseBindAddress } from "../util/http.js";
import { goTime, ProxyHealth, serveHealthz } from "./healthz.js";

const T0 = Date.UTC(2026, 10, 22, 0, 0, 1, 500);
const node = (extra: { taints?: { key: string; effect: string }[]; deletionTimestamp?: string } = {}): Node => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name: "node-1", ...(extra.deletionTimestamp ? { deletionTimestamp: extra.deletionTimestamp } : {}) },
  spec: extra.taints ? { taints: extra.taints } : {},
});

function clocked() {
  let now = T0;
  const h = new ProxyHealth(60_000, () => now);
  return { h, at: (ms: number) => void (now = T0 + ms) };
}

test("proxy health: a change left unapplied for the health timeout makes /healthz and /livez 503, applying it heals them", () => {
  const { h, at } = clocked();
  assert.deepEqual(h.answer("/healthz"), {
    status: 200,
    body: '{"lastUpdated": "2026-11-22 00:00:01.5 +0000 UTC","currentTime": "2026-11-22 00:00:01.5 +0000 UTC", "nodeEligible": true}',
  });
  h.queued(4);
  h.updated(4);
  h.queued(4);
  at(59_999);
  assert.equal(h.answer("/healthz").status, 200, "late, but not yet past the timeout");
  h.queued(4);
  at(60_000);
  const sick = h.answer("/healthz");
  assert.equal(sick.status, 503, "the oldest queued change counts");
  assert.match(sick.body, /^\{"lastUpdated": "2026-11-22 00:00:01\.5 \+0000 UTC","currentTime": "2026-11-22 00:01:01\.5 \+0000 UTC"/);
  assert.equal(h.answer("/livez").status, 503);
  h.updated(4);
  assert.equal(h.answer("/livez").status, 200);
});

test("proxy health: one late family is enough; a family that never synced is not judged (as kube-proxy)", () => {
  const { h, at } = clocked();
  h.queued(6);
  at(120_000);
  assert.equal(h.proxier().healthy, true, "IPv6 has not synced once yet");
  h.updated(4);
  h.updated(6);
  h.queued(6);
  at(200_000);
  assert.equal(h.proxier().healthy, false);
});

test("proxy health: a node being deleted or tainted by the autoscaler fails /healthz only", () => {
  const cases: [string, Node, number][] = [
    ["plain node", node(), 200],
    ["other taint", node({ taints: [{ key: "dedicated", effect: "NoSchedule" }] }), 200],
    ["autoscaler taint", node({ taints: [{ key: "ToBeDeletedByClusterAutoscaler", effect: "NoSchedule" }] }), 503],
    ["being deleted", node({ deletionTimestamp: "2026-11-22T00:00:00Z" }), 503],
  ];
  for (const [name, n, status] of cases) {
    const { h } = clocked();
    h.syncNode(n);
    const a = h.answer("/healthz");
    assert.equal(a.status, status, name);
    assert.match(a.body, new RegExp(`"nodeEligible": ${status === 200}}$`), name);
    assert.equal(h.answer("/livez").status, 200, `${name}: liveness ignores the node`);
  }
});

test("goTime prints Go's time format, trailing zeros trimmed", () => {
  assert.equal(goTime(Date.UTC(2026, 0, 2, 3, 4, 5, 0)), "2026-01-02 03:04:05 +0000 UTC");
  assert.equal(goTime(Date.UTC(2026, 0, 2, 3, 4, 5, 120)), "2026-01-02 03:04:05.12 +0000 UTC");
  assert.equal(goTime(0), "0001-01-01 00:00:00 +0000 UTC");
});

test("parseBindAddress takes kube-proxy's host:port forms", () => {
  assert.deepEqual(parseBindAddress("0.0.0.0:10256"), { host: "0.0.0.0", port: 10256 });
  assert.deepEqual(parseBindAddress("[::]:10256"), { host: "::", port: 10256 });
  assert.deepEqual(parseBindAddress(":10256"), { host: "0.0.0.0", port: 10256 });
  assert.equal(parseBindAddress(""), undefined);
  for (const bad of ["10256", "host:80", "1.2.3.4:0", "1.2.3.4:70000", "1.2.3.4:80; rm"])
    assert.throws(() => parseBindAddress(bad), /invalid bind address/, bad);
});

test("the healthz server answers /healthz and /livez with kube-proxy's headers, 404 elsewhere", async () => {
  const { h } = clocked();
  const srv = await serveHealthz(h, { host: "127.0.0.1", port: 0 });
  try {
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const r = await fetch(`${base}/healthz`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "application/json");
    assert.equal(r.headers.get("x-content-type-options"), "nosniff");
    assert.equal((JSON.parse(await r.text()) as { nodeEligible: boolean }).nodeEligible, true);
    assert.equal((await fetch(`${base}/livez?verbose`)).status, 200);
    assert.equal((await fetch(`${base}/metrics`)).status, 404);
  } finally {
    await closeServer(srv);
  }
});
