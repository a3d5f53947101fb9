import assert from "node:assert/strict";
import { test } from "node:test";
import type { Subnet } from "../model/types.js";
import { subnetPool } from "./cniconf.js";

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
