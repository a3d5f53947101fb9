import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { heldDown } from "./agents.js";
import type { LabConfig } from "./config.js";
import { LabPaths } from "./layout.js";
import { nodeKinds, parseComponent, setHeld } from "./supervisor.js";

const cfg = (nodeAgent: boolean) =>
  ({ nodes: [{ name: "node-1" }, { name: "node-2" }], ...(nodeAgent ? { nodeAgent } : {}) }) as unknown as LabConfig;

test("lab stop/start components: DAEMON/NODE of this lab, the agent only where the lab runs agents (table)", () => {
  const cases: [string, boolean, string | RegExp][] = [
    ["agent/node-2", true, "agent/node-2"],
    ["proxy/node-1", false, "proxy/node-1"],
    ["cni-agent/node-1", false, "cni-agent/node-1"],
    ["agent/node-2", false, /invalid component "agent\/node-2": use DAEMON\/NODE with DAEMON one of proxy, policy, qos, cni-agent/],
    // The node agent hosts the proxy and the CNI socket: they stop and start with it.
    ["proxy/node-1", true, /invalid component "proxy\/node-1": use DAEMON\/NODE with DAEMON one of agent, policy, qos$/],
    ["cni-agent/node-1", true, /one of agent, policy, qos$/],
    ["proxy/node-9", false, /the lab has no node "node-9"/],
    ["proxy", false, /use DAEMON\/NODE/],
    ["proxy/node-1/x", false, /use DAEMON\/NODE/],
    ["bird/node-1", false, /use DAEMON\/NODE/],
  ];
  for (const [s, agent, want] of cases) {
    if (typeof want === "string") assert.equal(parseComponent(s, cfg(agent)), want, s);
    else assert.throws(() => parseComponent(s, cfg(agent)), want, s);
  }
});

test("held components are kept in the lab's dir; the node agent hosts the proxy, policy starts after it", () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-test-held-"));
  try {
    const paths = new LabPaths(dir, "l");
    mkdirSync(paths.dir, { recursive: true });
    setHeld(paths, "agent/node-2", true);
    setHeld(paths, "proxy/node-1", true);
    setHeld(paths, "agent/node-2", true);
    assert.deepEqual([...heldDown(paths)].sort(), ["agent/node-2", "proxy/node-1"]);
    setHeld(paths, "agent/node-2", false);
    assert.deepEqual([...heldDown(paths)], ["proxy/node-1"]);
    assert.deepEqual(
      nodeKinds(cfg(true)).map((k) => k.name),
      ["agent", "policy", "qos"],
    );
    assert.deepEqual(
      nodeKinds(cfg(false)).map((k) => k.name),
      ["proxy", "policy", "qos"],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
