import assert from "node:assert/strict";
import { test } from "node:test";
import { parseQuantity, podBandwidth } from "./bandwidth.js";
import type { Pod } from "./types.js";

test("bandwidth annotations become the CNI bandwidth capability in bits per second", () => {
  const table: [string, number | undefined][] = [
    ["10M", 10_000_000],
    ["1Gi", 1024 ** 3],
    ["500k", 500_000],
    ["1.5M", 1_500_000],
    ["ten", undefined],
    ["10 M", undefined],
  ];
  for (const [q, want] of table) assert.equal(parseQuantity(q), want, q);
  const pod = (annotations: Record<string, string>): Pod => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", annotations },
    spec: { containers: [] },
  });
  assert.deepEqual(podBandwidth(pod({ "kubernetes.io/ingress-bandwidth": "10M" })), { ingressRate: 10_000_000, ingressBurst: 1_250_000 });
  assert.deepEqual(podBandwidth(pod({ "kubernetes.io/egress-bandwidth": "1M" })), { egressRate: 1_000_000, egressBurst: 1_000_000 });
  assert.equal(podBandwidth(pod({})), undefined);
});
