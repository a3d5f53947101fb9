/**
 * Packet-flow tests in the manner of kube-proxy's runPacketFlowTests: the rules a full sync writes
 * (applied to an in-memory iptables) are traced packet by packet (packetflows.ts) — behaviour
 * checked without a kernel. test/e2e/nft-packetflow.test.ts runs the same flows through nftables.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { RecordingExecutor } from "../exec/fake.js";
import { FakeIptables, iptablesChains } from "../netfilter/index.js";
import { overall, testConfig } from "./fixtures.js";
import { IptablesProxier } from "./iptables/proxier.js";
import { FLOWS, flowExpected, traceFlow } from "./packetflows.js";

test("packets through kube-proxy's overall scenario reach the right endpoints, masqueraded as kube-proxy would", async () => {
  const ipt = new FakeIptables(4);
  await new IptablesProxier(overall(), testConfig, 4, new RecordingExecutor(), "fake", "nft", ipt).sync();
  const rules = (table: "raw" | "mangle" | "filter" | "nat", chain: string) => ipt.tables.get(table)?.get(chain);
  for (const f of FLOWS) assert.deepEqual(traceFlow(iptablesChains(rules), f), flowExpected(f), f.name);
});
