/**
 * The packet flows of kube-proxy's overall scenario (src/proxy/packetflows.ts), which the iptables
 * backend passes in memory, run through the nftables backend as the kernel holds it: the full
 * sync's text is loaded into a fresh namespace with `nft -f`, listed back with `nft -j`, and each
 * flow traced through those chains. Where kube-proxy's nftables mode differs on purpose (no
 * NodePorts on localhost), the flow says so.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { createNetns, deleteNetns } from "../../src/iproute/netns.js";
import { nftChains, parseNftRuleset } from "../../src/netfilter/index.js";
import { overall, testConfig } from "../../src/proxy/fixtures.js";
import { renderNftFullSync } from "../../src/proxy/nftables/proxier.js";
import { FLOWS, flowExpected, traceFlow } from "../../src/proxy/packetflows.js";
import { exec } from "./helpers.js";

const NETNS = `pn-nf${process.pid.toString(36)}`;
const OPTS = { serviceCIDRs: ["172.30.0.0/16"], nodePortIPs: ["192.168.0.2"] };

before(() => createNetns(exec, NETNS));
after(() => deleteNetns(exec, NETNS));

test("packets through kube-proxy's overall scenario, nftables mode as the kernel lists it, go where the iptables mode sends them", async () => {
  const { text, errors } = renderNftFullSync(overall(), testConfig, 4, OPTS);
  assert.deepEqual(errors, []);
  await exec.run({ argv: ["nft", "-f", "-"], stdin: text, netns: NETNS });
  const [json, listing] = await Promise.all([
    exec.run({ argv: ["nft", "-j", "list", "ruleset"], netns: NETNS }),
    exec.run({ argv: ["nft", "-a", "list", "ruleset"], netns: NETNS }),
  ]);
  const chains = nftChains(parseNftRuleset(json.stdout, listing.stdout), 4);
  for (const f of FLOWS) assert.deepEqual(traceFlow(chains, f), flowExpected(f, "nftables"), f.name);
});

test("the IPv6 golden (src/proxy/testdata/ipv6.nft) loads into the kernel and lists back as ip6 kube-proxy with its sets, maps and chains", async () => {
  const text = readFileSync(new URL("../../../src/proxy/testdata/ipv6.nft", import.meta.url), "utf8");
  await exec.run({ argv: ["nft", "-f", "-"], stdin: text, netns: NETNS });
  const listed = (await exec.run({ argv: ["nft", "list", "table", "ip6", "kube-proxy"], netns: NETNS })).stdout;
  for (const want of [
    /set cluster-ips \{\s+type ipv6_addr/,
    /map service-ips \{\s+type ipv6_addr \. inet_proto \. inet_service : verdict/,
    /fd00:30::10 \. tcp \. 80 : goto service-\S+-ns1\/web\/tcp\/p80/,
    /dnat to \[fd00:10:0:1::5\]:8080/,
    /ip6 saddr != 2001:db8:1::\/48 drop/,
    /update @affinity-\S+ \{ ip6 saddr \}/,
  ])
    assert.match(listed, want);
});
