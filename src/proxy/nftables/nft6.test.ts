/**
 * The nftables mode for IPv6 (golden): table `ip6 kube-proxy`, ipv6_addr sets and maps, `ip6
 * daddr` / `ip6 saddr` matches, DNAT to `[addr]:port`, masquerade for traffic from outside the
 * IPv6 cluster CIDR, a LoadBalancer's IPv6 source ranges, ClientIP affinity and a Service without
 * endpoints.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { makeService, makeSlice, testConfig } from "../fixtures.js";
import { ServiceTracker } from "../tracker.js";
import { renderNftFullSync } from "./proxier.js";

const GOLDEN = new URL("../../../../src/proxy/testdata/ipv6.nft", import.meta.url);
const CFG = { ...testConfig, nodeIPs: ["fd00:1::2"], clusterCIDRs: ["fd00:10::/48"] };
const OPTS = { serviceCIDRs: ["fd00:30::/112"], nodePortIPs: ["fd00:1::2"] };

const v6 = <T extends { addressType: string }>(s: T): T => ({ ...s, addressType: "IPv6" });

function ipv6(): ServiceTracker {
  const t = new ServiceTracker();
  t.replaceAll(
    [
      makeService("ns1", "web", { clusterIP: "fd00:30::10", clusterIPs: ["fd00:30::10"], ipFamilies: ["IPv6"] }),
      makeService(
        "ns2",
        "lb",
        {
          type: "LoadBalancer",
          clusterIP: "fd00:30::20",
          clusterIPs: ["fd00:30::20"],
          ipFamilies: ["IPv6"],
          loadBalancerSourceRanges: ["2001:db8:1::/48"],
          sessionAffinity: "ClientIP",
          ports: [{ name: "p80", port: 80, protocol: "TCP", nodePort: 3201 }],
        },
        ["2001:db8::99"],
      ),
      makeService("ns3", "empty", { clusterIP: "fd00:30::30", clusterIPs: ["fd00:30::30"], ipFamilies: ["IPv6"] }),
    ],
    [
      v6(makeSlice("ns1", "web", [{ ip: "fd00:10:0:1::5" }, { ip: "fd00:10:0:2::6" }], 8080)),
      v6(makeSlice("ns2", "lb", [{ ip: "fd00:10:0:1::7", node: "test-node" }])),
    ],
  );
  return t;
}

test("nftables full sync for IPv6: ip6 table, ipv6 sets and maps, bracketed DNAT, source ranges, affinity, reject (golden)", () => {
  const { text, errors } = renderNftFullSync(ipv6(), CFG, 6, OPTS);
  assert.deepEqual(errors, []);
  if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, text);
  assert.equal(text, readFileSync(GOLDEN, "utf8"));
  const lines = text.split("\n");
  const has = (re: RegExp) =>
    assert.ok(
      lines.some((l) => re.test(l)),
      `no line matches ${re}`,
    );
  assert.ok(!lines.some((l) => /\bip kube-proxy\b|ipv4_addr|\bip (daddr|saddr)\b/.test(l)), "nothing of the IPv4 table");
  has(/^add table ip6 kube-proxy/);
  has(/^add set ip6 kube-proxy cluster-ips \{ type ipv6_addr ;/);
  has(/^add element ip6 kube-proxy service-ips \{ fd00:30::10 \. tcp \. 80 : goto service-\S+-ns1\/web\/tcp\/p80 \}/);
  // Chain names spell an IPv6 endpoint with dots for colons, as kube-proxy's do.
  has(
    /^add rule ip6 kube-proxy endpoint-\S+-ns1\/web\/tcp\/p80__fd00\.10\.0\.1\.\.5\/8080 meta l4proto tcp dnat to \[fd00:10:0:1::5\]:8080$/,
  );
  has(
    /^add rule ip6 kube-proxy service-\S+-ns1\/web\/tcp\/p80 ip6 daddr fd00:30::10 tcp dport 80 ip6 saddr != fd00:10::\/48 jump mark-for-masquerade/,
  );
  has(/^add rule ip6 kube-proxy firewall-\S+-ns2\/lb\/tcp\/p80 ip6 saddr != \{ 2001:db8:1::\/48 \} drop/);
  has(
    /^add set ip6 kube-proxy affinity-\S+-ns2\/lb\/tcp\/p80__fd00\.10\.0\.1\.\.7\/80 \{ type ipv6_addr ; flags dynamic,timeout ; timeout 10800s ; \}/,
  );
  has(/^add rule ip6 kube-proxy endpoint-\S+-ns2\/lb\/tcp\/p80__\S+ update @affinity-\S+ \{ ip6 saddr \}$/);
  has(/^add element ip6 kube-proxy no-endpoint-services \{ fd00:30::30 \. tcp \. 80 comment "ns3\/empty:p80" : goto reject-chain \}/);
  has(/^add element ip6 kube-proxy service-nodeports \{ tcp \. 3201 : goto external-\S+-ns2\/lb\/tcp\/p80 \}/);
});
