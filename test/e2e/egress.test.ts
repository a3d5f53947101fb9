/**
 * Subnets and egress with real packets, in vxlan and bgp mode, on the embedded store (the case is in
 * egress-cases.ts; lab-etcd-egress.test.ts runs it on etcd); and Subnets refused by name and field.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { subnetsAndEgress } from "./egress-cases.js";
import { withLab } from "./helpers.js";

for (const mode of ["vxlan", "bgp"])
  test(`${mode}: Subnets give addresses per namespace; egress is SNATed, exposed or centralized`, { timeout: 180_000 }, async () => {
    await withLab(3, (lab) => subnetsAndEgress(lab, mode), ["--routing-mode", mode]);
  });

test("Subnets that overlap, or centralized ones without gateways, are refused by name and field", { timeout: 60_000 }, async () => {
  await withLab(1, async (lab) => {
    const bad = `apiVersion: podnet.io/v1
kind: Subnet
metadata: {name: clash}
spec: {cidrBlock: 10.244.128.0/20}
---
apiVersion: podnet.io/v1
kind: Subnet
metadata: {name: nogw}
spec: {cidrBlock: 10.88.0.0/16, gatewayType: centralized}
---
apiVersion: podnet.io/v1
kind: Subnet
metadata: {name: good}
spec: {cidrBlock: 10.89.0.0/16}
`;
    const r = await lab.cli(["apply", "-f", "-"], bad);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Subnet "clash".*spec\.cidrBlock.*overlaps the cluster's pod CIDR 10\.244\.0\.0\/16/);
    assert.match(r.stderr, /Subnet "nogw".*spec\.gatewayNode: Required value/);
    assert.match(r.stdout, /subnet\.podnet\.io\/good created/, "the valid object is still applied");
  });
});
