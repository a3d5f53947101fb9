import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Allocator } from "./allocator.js";

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "podnet-ipam-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("allocates like host-local: skips the gateway, round-robins, writes host-local's files", () =>
  withDir((dataDir) => {
    const a = new Allocator("net1", { type: "podnet", subnet: "10.244.1.0/24", dataDir });
    const r1 = a.allocate("c1", "eth0");
    assert.deepEqual(r1.ips, [{ address: "10.244.1.2/24", gateway: "10.244.1.1" }]);
    assert.equal(a.allocate("c2", "eth0").ips[0]?.address, "10.244.1.3/24");
    assert.equal(readFileSync(join(dataDir, "net1", "10.244.1.2"), "utf8"), "c1\r\neth0");
    assert.equal(readFileSync(join(dataDir, "net1", "last_reserved_ip.0"), "utf8"), "10.244.1.3");
    assert.ok(readdirSync(join(dataDir, "net1")).includes("lock"));
    assert.deepEqual(a.allocate("c1", "eth0").ips, r1.ips, "a retried ADD gets the same address");
    a.release("c1", "eth0");
    assert.equal(
      a.allocate("c3", "eth0").ips[0]?.address,
      "10.244.1.4/24",
      "round-robin does not reuse at once",
    );
  }));

test("rangeStart/rangeEnd, excludeIps (kube-ovn a..b too) and exhaustion", () =>
  withDir((dataDir) => {
    const a = new Allocator("net2", {
      type: "podnet",
      ranges: [[{ subnet: "10.0.0.0/29", rangeStart: "10.0.0.2", rangeEnd: "10.0.0.6" }]],
      excludeIps: ["10.0.0.3..10.0.0.4", "10.0.0.6"],
      dataDir,
    });
    assert.equal(a.allocate("a", "eth0").ips[0]?.address, "10.0.0.2/29");
    assert.equal(a.allocate("b", "eth0").ips[0]?.address, "10.0.0.5/29");
    assert.throws(() => a.allocate("c", "eth0"), /no IP addresses available/);
  }));

test("dual-stack range sets give one address per family; a failure releases what was taken", () =>
  withDir((dataDir) => {
    const a = new Allocator("net3", {
      type: "podnet",
      ranges: [[{ subnet: "10.244.0.0/30" }], [{ subnet: "fd00:10:244::/64" }]],
      dataDir,
    });
    assert.deepEqual(
      a.allocate("a", "eth0").ips.map((i) => i.address),
      ["10.244.0.2/30", "fd00:10:244::2/64"],
    );
    assert.throws(() => a.allocate("b", "eth0"), /no IP addresses/);
    assert.equal(a.allocations().length, 2, "the IPv6 address of the failed ADD was not kept");
  }));

test("bad configs are refused with the field named", () =>
  withDir((dataDir) => {
    assert.throws(() => new Allocator("n", { type: "podnet", dataDir }), /needs "subnet" or "ranges"/);
    assert.throws(
      () => new Allocator("n", { type: "podnet", subnet: "10.0.0.0/24", gateway: "10.1.0.1", dataDir }),
      /gateway 10.1.0.1 is not in subnet/,
    );
    assert.throws(
      () => new Allocator("../x", { type: "podnet", subnet: "10.0.0.0/24", dataDir }),
      /invalid network name/,
    );
  }));

test("static IPs: taken in their range set, kept on retry, refused when taken, outside, the gateway or excluded", () =>
  withDir((dataDir) => {
    const a = new Allocator("static", {
      type: "podnet",
      ranges: [[{ subnet: "10.66.0.0/26" }], [{ subnet: "fd00:66::/120" }]],
      excludeIps: ["10.66.0.10..10.66.0.12"],
      dataDir,
    });
    const r = a.allocate("c1", "eth0", ["10.66.0.7/26"]);
    assert.deepEqual(
      r.ips.map((i) => i.address),
      ["10.66.0.7/26", "fd00:66::2/120"],
      "the requested IPv4, a dynamic IPv6",
    );
    assert.deepEqual(a.allocate("c1", "eth0", ["10.66.0.7"]).ips[0]?.address, "10.66.0.7/26", "a retried ADD keeps it");
    const cases: [string[], RegExp][] = [
      [["10.66.0.7"], /requested IP 10\.66\.0\.7 is already allocated to container c1/],
      [["10.99.0.1"], /requested IP 10\.99\.0\.1 is outside the allocatable ranges \(10\.66\.0\.0\/26, fd00:66::\/120\)/],
      [["10.66.0.1"], /is the gateway of 10\.66\.0\.0\/26/],
      [["10.66.0.11"], /is excluded/],
      [["10.66.0.20", "10.66.0.21"], /fall in the same range set/],
      [["nope"], /is not an IP address/],
    ];
    for (const [req, want] of cases) assert.throws(() => a.allocate("c2", "eth0", req), want, req.join(","));
    assert.deepEqual(a.held("c2", "eth0"), [], "a refused ADD holds nothing");
    assert.deepEqual(
      a.allocate("c3", "eth0", ["10.66.0.40", "fd00:66::40"]).ips.map((i) => i.address),
      ["10.66.0.40/26", "fd00:66::40/120"],
      "one static address per family",
    );
  }));

test("exhausted names the range sets with nothing left (gateway and exclusions don't count as free)", () =>
  withDir((dataDir) => {
    const a = new Allocator("tiny", { type: "podnet", ranges: [[{ subnet: "10.9.0.0/29" }], [{ subnet: "fd00:9::/120" }]], excludeIps: ["10.9.0.2..10.9.0.5"], dataDir });
    assert.deepEqual(a.exhausted(), []);
    a.allocate("c1", "eth0");
    assert.deepEqual(a.exhausted(), ["10.9.0.0/29"], "only .6 was left in the IPv4 set");
    a.release("c1", "eth0");
    assert.deepEqual(a.exhausted(), []);
  }));
