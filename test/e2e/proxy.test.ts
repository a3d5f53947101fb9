/** The proxy suite in iptables mode (proxy-suite.ts), and the legacy iptables flavour. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Service } from "../../src/model/types.js";
import { curl, EXAMPLE, IPTABLES, one, proxySuite } from "./proxy-suite.js";

proxySuite(IPTABLES);

test("the legacy iptables flavour is detected and used", { timeout: 300_000 }, async () => {
  const { TestLab } = await import("./helpers.js");
  const lab = new TestLab();
  try {
    await lab.ok(["up", "--nodes", "1", "--iptables", "legacy"]);
    await lab.ok(["apply", "-f", "-"], EXAMPLE);
    const cip = (await lab.json<Service>(["get", "service", "web"])).spec.clusterIP;
    assert.ok(one(await curl(lab, "node/node-1", `http://${cip}/`)).pod);
    assert.match(await lab.ok(["rules", "node-1", "-t", "nat"]), /-j KUBE-SERVICES/);
    const nft = await lab.ok(["exec-node", "node-1", "--", "iptables-nft-save", "-t", "nat"]);
    assert.doesNotMatch(nft, /KUBE-SERVICES/, "nothing went to the nft flavour");
  } finally {
    await lab.down();
  }
});
