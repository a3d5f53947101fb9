import assert from "node:assert/strict";
import { test } from "node:test";
import { deniedCounts } from "./counters.js";

test("denial counters are summed per policy over every group chain", () => {
  const save = [
    "*filter",
    '[3:180] -A PODNET-GI-A -m comment --comment "denied by ingress of x/p1"',
    '[2:120] -A PODNET-GI-B -m comment --comment "denied by ingress of x/p1"',
    '[0:0] -A PODNET-GI-B -m comment --comment "denied by ingress of x/p2"',
    '[7:420] -A PODNET-FORWARD -d 10.70.0.0/16 -m set ! --match-set S src -m comment --comment "denied by private subnet priv" -j DROP',
    "[9:9] -A PODNET-GI-B -j DROP",
    "COMMIT",
  ].join("\n");
  assert.deepEqual(deniedCounts(save), [
    { what: "private subnet priv", packets: 7, bytes: 420 },
    { what: "ingress of x/p1", packets: 5, bytes: 300 },
    { what: "ingress of x/p2", packets: 0, bytes: 0 },
  ]);
});
