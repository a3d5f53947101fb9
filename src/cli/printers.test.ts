import assert from "node:assert/strict";
import { test } from "node:test";
import { formatSelector } from "./printers.js";

test("selectors print as kubectl prints them", () => {
  assert.equal(formatSelector(undefined), "<none>");
  assert.equal(formatSelector({}), "<none>");
  assert.equal(
    formatSelector({
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["b", "a"] },
        { key: "env", operator: "NotIn", values: ["dev"] },
        { key: "team", operator: "Exists" },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    }),
    "app=web,tier in (a,b),env notin (dev),team,!legacy",
  );
});
