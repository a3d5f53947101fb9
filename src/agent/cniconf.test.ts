import assert from "node:assert/strict";
import { test } from "node:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Node, Subnet } from "../model/types.js";
import { CONFLIST_FILE, ConfListWriter, subnetPool } from "./cniconf.js";

const blue: Subnet = {
  apiVersion: "podnet.io/v1",
  kind: "Subnet",
  metadata: { name: "blue" },
  spec: { cidrBlock: "10.66.0.0/16", namespaces: ["blue"], blockSize: 28, gateway: "10.66.0.1", excludeIps: ["10.66.0.2..10.66.0.4"] },
  status: {
    blocks: [
      { cidr: "10.66.0.0/28", node: "node-1" },
      { cidr: "10.66.0.16/28", node: "node-2" },
    ],
  },
};

test("a node's pool holds only its blocks, reserves the gateway and keeps the Subnet's exclusions", () => {
  assert.deepEqual(subnetPool(blue, "node-1"), {
    name: "blue",
    namespaces: ["blue"],
    default: false,
    ranges: [[{ subnet: "10.66.0.0/28", gateway: "10.66.0.1" }]],
    routes: [{ dst: "0.0.0.0/0" }],
    excludeIps: ["10.66.0.2..10.66.0.4", "10.66.0.1"],
  });
  assert.deepEqual(subnetPool(blue, "node-2")?.ranges, [[{ subnet: "10.66.0.16/28" }]], "other blocks use their first address");
  assert.equal(subnetPool(blue, "node-3"), undefined);
});

test("the agent's conflist writer waits for a pod CIDR, writes once per change, and picks up the node's Subnet blocks", () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-cniconf-"));
  try {
    const w = new ConfListWriter(join(dir, "net.d"), "node-1", { ipamDataDir: "/var/lib/podnet/ipam", mtu: 1450 });
    const node = (podCIDR?: string) =>
      ({ apiVersion: "v1", kind: "Node", metadata: { name: "node-1" }, spec: podCIDR ? { podCIDR } : {} }) as Node;
    assert.equal(w.write([node()], []), undefined, "no pod CIDR yet: nothing to write");
    const file = w.write([node("10.244.0.0/24")], []);
    assert.equal(file, join(dir, "net.d", CONFLIST_FILE));
    const conf = JSON.parse(readFileSync(file!, "utf8")) as {
      name: string;
      plugins: { type: string; mtu?: number; ipam?: { ranges: unknown } }[];
    };
    assert.equal(conf.name, "podnet");
    assert.deepEqual(
      conf.plugins.map((p) => p.type),
      ["podnet-cni", "portmap"],
    );
    assert.equal(conf.plugins[0]?.mtu, 1450);
    assert.deepEqual(conf.plugins[0]?.ipam?.ranges, [[{ subnet: "10.244.0.0/24" }]]);
    assert.equal(w.write([node("10.244.0.0/24")], []), undefined, "unchanged: not written again");
    assert.equal(w.write([node("10.244.0.0/24")], [blue]), file, "a Subnet block: written again");
    assert.match(readFileSync(file!, "utf8"), /10\.66\.0\.0\/28/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
