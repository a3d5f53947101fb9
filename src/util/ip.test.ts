import assert from "node:assert/strict";
import { test } from "node:test";
import { cidrContains, cidrOverlaps, formatCIDR, isCIDR, isIP, nthIP, parseCIDR, subnet } from "./ip.js";

test("isIP and isCIDR accept both families and reject junk", () => {
  for (const ok of ["10.0.0.1", "::1", "fd00:10:244::5", "0.0.0.0"]) assert.ok(isIP(ok), ok);
  for (const bad of ["10.0.0", "10.0.0.256", "1.2.3.4;id", "", "010.0.0.1", "x", "10.0.0.1/24"]) assert.ok(!isIP(bad), bad);
  assert.ok(isCIDR("10.244.0.0/16") && isCIDR("fd00:10:244::/56"));
  for (const bad of ["10.244.0.0", "10.244.0.0/33", "10.0.0.0/x", "/8"]) assert.ok(!isCIDR(bad), bad);
  assert.equal(parseCIDR("10.244.1.5/24", true), undefined);
});

test("subnet, nthIP and containment", () => {
  const pods = parseCIDR("10.244.0.0/16")!;
  const n3 = subnet(pods, 24, 3n)!;
  assert.equal(formatCIDR(n3), "10.244.3.0/24");
  assert.equal(nthIP(n3, 1n), "10.244.3.1");
  assert.equal(nthIP(n3, -1n), "10.244.3.255");
  assert.ok(cidrContains(n3, "10.244.3.77") && !cidrContains(n3, "10.244.4.1") && !cidrContains(n3, "::1"));
  assert.equal(formatCIDR(subnet(parseCIDR("fd00:10:244::/56")!, 64, 2n)!), "fd00:10:244:2::/64");
  assert.equal(subnet(pods, 24, 256n), undefined);
  assert.ok(cidrOverlaps(pods, n3) && !cidrOverlaps(n3, parseCIDR("10.244.4.0/24")!));
});
