import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Allocator } from "./allocator.js";
import { MemoryStore } from "./store.js";

async function withDir(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "podnet-ipam-"));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("allocates like host-local: skips the gateway, round-robins, writes host-local's files", () =>
  withDir(async (dataDir) => {
    const a = new Allocator("net1", { type: "podnet", subnet: "10.244.1.0/24", dataDir });
    const r1 = await a.allocate("c1", "eth0");
    assert.deepEqual(r1.ips, [{ address: "10.244.1.2/24", gateway: "10.244.1.1" }]);
    assert.equal((await a.allocate("c2", "eth0")).ips[0]?.address, "10.244.1.3/24");
    assert.equal(readFileSync(join(dataDir, "net1", "10.244.1.2"), "utf8"), "c1\r\neth0");
    assert.equal(readFileSync(join(dataDir, "net1", "last_reserved_ip.0"), "utf8"), "10.244.1.3");
    assert.ok(readdirSync(join(dataDir, "net1")).includes("lock"));
    assert.deepEqual((await a.allocate("c1", "eth0")).ips, r1.ips, "a retried ADD gets the same address");
    await a.release("c1", "eth0");
    assert.equal((await a.allocate("c3", "eth0")).ips[0]?.address, "10.244.1.4/24", "round-robin does not reuse at once");
  }));

test("rangeStart/rangeEnd, excludeIps (kube-ovn a..b too) and exhaustion", () =>
  withDir(async (dataDir) => {
    const a = new Allocator("net2", {
      type: "podnet",
      ranges: [[{ subnet: "10.0.0.0/29", rangeStart: "10.0.0.2", rangeEnd: "10.0.0.6" }]],
      excludeIps: ["10.0.0.3..10.0.0.4", "10.0.0.6"],
      dataDir,
    });
    assert.equal((await a.allocate("a", "eth0")).ips[0]?.address, "10.0.0.2/29");
    assert.equal((await a.allocate("b", "eth0")).ips[0]?.address, "10.0.0.5/29");
    await assert.rejects(a.allocate("c", "eth0"), /no IP addresses available/);
  }));

test("dual-stack range sets give one address per family; a failure releases what was taken", () =>
  withDir(async (dataDir) => {
    const a = new Allocator("net3", {
      type: "podnet",
      ranges: [[{ subnet: "10.244.0.0/30" }], [{ subnet: "fd00:10:244::/64" }]],
      dataDir,
    });
    assert.deepEqual(
      (await a.allocate("a", "eth0")).ips.map((i) => i.address),
      ["10.244.0.2/30", "fd00:10:244::2/64"],
    );
    await assert.rejects(a.allocate("b", "eth0"), /no IP addresses/);
    assert.equal(a.allocations().length, 2, "the IPv6 address of the failed ADD was not kept");
  }));

test("bad configs are refused with the field named", () =>
  withDir(async (dataDir) => {
    assert.throws(() => new Allocator("n", { type: "podnet", dataDir }), /needs "subnet" or "ranges"/);
    assert.throws(
      () => new Allocator("n", { type: "podnet", subnet: "10.0.0.0/24", gateway: "10.1.0.1", dataDir }),
      /gateway 10.1.0.1 is not in subnet/,
    );
    assert.throws(() => new Allocator("../x", { type: "podnet", subnet: "10.0.0.0/24", dataDir }), /invalid network name/);
  }));

test("static IPs: taken in their range set, kept on retry, refused when taken, outside, the gateway or excluded", () =>
  withDir(async (dataDir) => {
    const a = new Allocator("static", {
      type: "podnet",
      ranges: [[{ subnet: "10.66.0.0/26" }], [{ subnet: "fd00:66::/120" }]],
      excludeIps: ["10.66.0.10..10.66.0.12"],
      dataDir,
    });
    const r = await a.allocate("c1", "eth0", ["10.66.0.7/26"]);
    assert.deepEqual(
      r.ips.map((i) => i.address),
      ["10.66.0.7/26", "fd00:66::2/120"],
      "the requested IPv4, a dynamic IPv6",
    );
    assert.deepEqual((await a.allocate("c1", "eth0", ["10.66.0.7"])).ips[0]?.address, "10.66.0.7/26", "a retried ADD keeps it");
    const cases: [string[], RegExp][] = [
      [["10.66.0.7"], /requested IP 10\.66\.0\.7 is already allocated to container c1/],
      [["10.99.0.1"], /requested IP 10\.99\.0\.1 is outside the allocatable ranges \(10\.66\.0\.0\/26, fd00:66::\/120\)/],
      [["10.66.0.1"], /is the gateway of 10\.66\.0\.0\/26/],
      [["10.66.0.11"], /is excluded/],
      [["10.66.0.20", "10.66.0.21"], /fall in the same range set/],
      [["nope"], /is not an IP address/],
    ];
    for (const [req, want] of cases) await assert.rejects(a.allocate("c2", "eth0", req), want, req.join(","));
    assert.deepEqual(a.held("c2", "eth0"), [], "a refused ADD holds nothing");
    assert.deepEqual(
      (await a.allocate("c3", "eth0", ["10.66.0.40", "fd00:66::40"])).ips.map((i) => i.address),
      ["10.66.0.40/26", "fd00:66::40/120"],
      "one static address per family",
    );
  }));

test("exhausted names the range sets with nothing left (gateway and exclusions don't count as free)", () =>
  withDir(async (dataDir) => {
    const a = new Allocator("tiny", {
      type: "podnet",
      ranges: [[{ subnet: "10.9.0.0/29" }], [{ subnet: "fd00:9::/120" }]],
      excludeIps: ["10.9.0.2..10.9.0.5"],
      dataDir,
    });
    assert.deepEqual(a.exhausted(), []);
    await a.allocate("c1", "eth0");
    assert.deepEqual(a.exhausted(), ["10.9.0.0/29"], "only .6 was left in the IPv4 set");
    await a.release("c1", "eth0");
    assert.deepEqual(a.exhausted(), []);
  }));

test("a refused config leaves no directory; the lock file is host-local's, made on first use", () =>
  withDir(async (dataDir) => {
    assert.throws(() => new Allocator("bad", { type: "podnet", subnet: "10.0.0.0/33", dataDir }), /invalid ipam subnet/);
    assert.deepEqual(readdirSync(dataDir), []);
    const a = new Allocator("ok", { type: "podnet", subnet: "10.0.0.0/24", dataDir });
    assert.deepEqual(readdirSync(dataDir), [], "nothing until the first allocation");
    await a.allocate("c1", "eth0");
    assert.ok(readdirSync(join(dataDir, "ok")).includes("lock"));
  }));

test("concurrent allocations and releases on one store never share an address", async () => {
  const a = new Allocator("mem", { type: "podnet", subnet: "10.1.0.0/28" }, new MemoryStore());
  const got = await Promise.all(Array.from({ length: 13 }, (_, i) => a.allocate(`c${i}`, "eth0")));
  const ips = got.map((r) => r.ips[0]?.address);
  assert.equal(new Set(ips).size, 13, "13 distinct addresses of the 13 a /28 has after the gateway");
  await assert.rejects(a.allocate("c13", "eth0"), (e: Error & { kind?: string }) => e.kind === "exhausted");
  await Promise.all([a.release("c0", "eth0"), a.allocate("c14", "eth0"), a.release("c1", "eth0")]);
  assert.equal(a.allocations().length, 12);
});
