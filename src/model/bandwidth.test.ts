import assert from "node:assert/strict";
import { test } from "node:test";
import { parseQuantity } from "./bandwidth.js";

test("Kubernetes quantities read as bits per second", () => {
  const table: [string, number | undefined][] = [
    ["10M", 10_000_000],
    ["1Gi", 1024 ** 3],
    ["500k", 500_000],
    ["1.5M", 1_500_000],
    ["ten", undefined],
    ["10 M", undefined],
  ];
  for (const [q, want] of table) assert.equal(parseQuantity(q), want, q);
});
