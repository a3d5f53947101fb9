import assert from "node:assert/strict";
import { test } from "node:test";
import { readStored, sloppyCIDR, sloppyIP } from "./stored.js";
import type { EndpointSlice, Service } from "./types.js";

test("addresses an older API server stored are read as Go's ParseIPSloppy reads them: leading zeros are decimal", () => {
  const cases: [string, string][] = [
    ["172.30.0.041", "172.30.0.41"],
    ["010.001.000.009", "10.1.0.9"],
    ["10.0.0.1", "10.0.0.1"],
    ["256.1.1.1", "256.1.1.1"],
    ["fd00::0a", "fd00::0a"],
    ["None", "None"],
  ];
  for (const [raw, want] of cases) assert.equal(sloppyIP(raw), want, raw);
  assert.equal(sloppyCIDR(" 203.0.113.0/25"), "203.0.113.0/25");
  assert.equal(sloppyCIDR("198.051.100.0/24 "), "198.51.100.0/24");
});

test("readStored normalises a Service's and an EndpointSlice's addresses and leaves the input alone", () => {
  const svc: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "default" },
    spec: {
      type: "LoadBalancer",
      clusterIP: "172.30.0.041",
      clusterIPs: ["172.30.0.041"],
      externalIPs: ["192.0.2.010"],
      loadBalancerSourceRanges: [" 203.0.113.0/25"],
      ports: [{ port: 80 }],
    },
    status: { loadBalancer: { ingress: [{ ip: "203.0.113.007" }] } },
  };
  const out = readStored(svc);
  assert.equal(out.spec.clusterIP, "172.30.0.41");
  assert.deepEqual(out.spec.clusterIPs, ["172.30.0.41"]);
  assert.deepEqual(out.spec.externalIPs, ["192.0.2.10"]);
  assert.deepEqual(out.spec.loadBalancerSourceRanges, ["203.0.113.0/25"]);
  assert.equal(out.status?.loadBalancer?.ingress?.[0]?.ip, "203.0.113.7");
  assert.equal(svc.spec.clusterIP, "172.30.0.041", "the input is not changed");
  const slice: EndpointSlice = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "web-1", namespace: "default" },
    addressType: "IPv4",
    endpoints: [{ addresses: ["10.244.0.05"] }],
  };
  assert.deepEqual(readStored(slice).endpoints[0]?.addresses, ["10.244.0.5"]);
  assert.equal(readStored(out), out, "an object already in the normal form is returned as it is");
  const broken = { kind: "Service", metadata: { name: "x" } };
  assert.equal(readStored(broken), broken, "a malformed object is left for validation");
});
