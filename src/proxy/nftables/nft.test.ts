import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import type { NftListing, NftNode, NftTransaction } from "../../netfilter/index.js";
import { edge, makeSlice, overall, testConfig } from "../fixtures.js";
import { NftablesProxier, renderNftFullSync } from "./proxier.js";

const OPTS = { serviceCIDRs: ["172.30.0.0/16"], nodePortIPs: ["192.168.0.2"] };
const GOLDEN = new URL("../../../../src/proxy/testdata/overall.nft", import.meta.url);

/** FakeNft records transactions and answers listings with what was added and not deleted (chains and sets only). */
class FakeNft implements NftNode {
  readonly txs: string[] = [];
  chains = new Set<string>();
  sets = new Set<string>();
  async apply(tx: NftTransaction): Promise<void> {
    this.txs.push(tx.render());
    for (const op of tx.ops) {
      if (op.verb === "add-chain") this.chains.add(op.name);
      if (op.verb === "delete-chain") this.chains.delete(op.name);
      if (op.verb === "add-container") this.sets.add(op.name);
      if (op.verb === "delete-container") this.sets.delete(op.name);
    }
  }
  async list(): Promise<NftListing | undefined> {
    return this.chains.size ? { chains: [...this.chains], sets: [...this.sets] } : undefined;
  }
  async hasChain(_f: string, _t: string, chain: string): Promise<boolean> {
    return this.chains.has(chain);
  }
}

test("nftables full sync: kube-proxy's layout, names and verdicts for its overall scenario (golden)", () => {
  const { text, errors } = renderNftFullSync(overall(), testConfig, 4, OPTS);
  assert.deepEqual(errors, []);
  assert.equal(text, readFileSync(GOLDEN, "utf8"));
  // The chain names kube-proxy's own tests expect for these service ports, and its verdicts.
  for (const line of [
    "add chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80",
    "add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade",
    "add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 meta l4proto tcp dnat to 10.180.0.1:80",
    'add rule ip kube-proxy external-42NFTM6N-ns2/svc2/tcp/p80 ip saddr 10.0.0.0/8 goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit pod traffic"',
    'add element ip kube-proxy no-endpoint-nodeports { tcp . 3001 comment "ns2/svc2:p80" : drop }',
    "add element ip kube-proxy service-nodeports { tcp . 3003 : goto external-4AT6LBPK-ns3/svc3/tcp/p80 }",
    "add element ip kube-proxy service-ips { 192.168.99.33 . tcp . 80 : goto external-LAUZTJTB-ns4/svc4/tcp/p80 }",
    "add set ip kube-proxy affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }",
    "add rule ip kube-proxy firewall-HVFWP5L3-ns5/svc5/tcp/p80 ip saddr != { 203.0.113.0/25 } drop",
    'add element ip kube-proxy no-endpoint-services { 172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }',
  ])
    assert.ok(text.split("\n").includes(line), `missing: ${line}`);
});

test("nftables sync: twice is a no-op; one endpoint more rewrites that service's chains only; a removed service's chains go a second later", async () => {
  const t = overall();
  const nft = new FakeNft();
  const p = new NftablesProxier(t, testConfig, 4, OPTS, undefined as never, null, nft);
  const first = await p.sync();
  assert.equal(first.full, true);
  const again = await p.sync();
  assert.deepEqual([again.full, again.writtenCount, again.elementChanges, nft.txs.length], [false, 0, 0, 1], "nothing to send");

  t.replaceAll(
    [...t.services.values()],
    [
      ...[...t.slices.values()].flatMap((m) => [...m.values()]).filter((s) => s.metadata.namespace !== "ns1"),
      makeSlice("ns1", "svc1", [{ ip: "10.180.0.1" }, { ip: "10.180.0.9" }]),
    ],
  );
  const one = await p.sync();
  const tx = nft.txs.at(-1) ?? "";
  assert.equal(one.elementChanges, 0, "an endpoint more changes no map element");
  assert.deepEqual(
    new Set(one.written),
    new Set(["service-ULMVA6XW-ns1/svc1/tcp/p80", one.written.find((c) => c.includes("__10.180.0.9/80"))]),
  );
  for (const line of tx.trim().split("\n"))
    assert.match(line, /^(add|flush) (chain|rule) ip kube-proxy (service|endpoint)-[A-Z2-7]{8}-ns1\/svc1\/tcp\/p80/, line);

  t.replaceAll(
    [...t.services.values()].filter((s) => s.metadata.name !== "svc4"),
    [...t.slices.values()].flatMap((m) => [...m.values()]),
  );
  const gone = await p.sync();
  const rm = nft.txs.at(-1) ?? "";
  assert.match(rm, /^delete element ip kube-proxy service-ips \{ 192\.168\.99\.33 \. tcp \. 80 \}$/m);
  assert.match(rm, /^delete element ip kube-proxy cluster-ips \{ 172\.30\.0\.44 \}$/m);
  assert.equal(gone.flushed?.length, 4, "service-, external- and two endpoint- chains flushed");
  assert.doesNotMatch(rm, /^delete chain/m, "not deleted in the same transaction");
  await new Promise((r) => setTimeout(r, 1050));
  const later = await p.sync();
  assert.deepEqual(new Set(later.deleted), new Set(gone.flushed));
  assert.ok(![...nft.chains].some((c) => c.includes("ns4/svc4")));
});

test("nftables: a vanished table makes the next sync a full one that writes it all again", async () => {
  const t = overall();
  const nft = new FakeNft();
  const p = new NftablesProxier(t, testConfig, 4, OPTS, undefined as never, null, nft);
  await p.sync();
  assert.equal(await p.checkCanaries(), true);
  nft.chains.clear();
  assert.equal(await p.checkCanaries(), false);
  assert.equal((await p.sync()).full, true);
  // The same transaction as the first sync, but for the first's delete-and-add of the base chains.
  const recreate = /^(add|delete) chain ip kube-proxy (filter|nat)-[a-z-]+\n/gm;
  assert.ok(recreate.test(nft.txs[0] ?? ""));
  assert.ok((nft.txs.at(-1) ?? "") === (nft.txs[0] ?? "").replace(recreate, ""), "a full sync writes everything again");
});

const EDGE = new URL("../../../../src/proxy/testdata/edge.nft", import.meta.url);

test("nftables full sync of the edge cases: terminating fallback, internal Local, SCTP, topology hints, masquerade-all (golden)", () => {
  const cfg = { ...testConfig, masqueradeAll: true, nodeLabels: { "topology.kubernetes.io/zone": "zone-a" } };
  const { text, errors } = renderNftFullSync(edge(), cfg, 4, OPTS);
  assert.deepEqual(errors, []);
  if (process.env.UPDATE_GOLDEN) writeFileSync(EDGE, text);
  assert.equal(text, readFileSync(EDGE, "utf8"));
  const lines = text.split("\n");
  const has = (re: RegExp) =>
    assert.ok(
      lines.some((l) => re.test(l)),
      `no line matches ${re}`,
    );
  has(/^add rule ip kube-proxy local-\S+-ns1\/terminating\/tcp\/p80 .*goto endpoint-\S+__10\.180\.1\.1\/80/);
  assert.ok(
    !lines.some((l) => /-ns1\/terminating\/tcp\/p80 .*10\.180\.1\.2\/80/.test(l) && l.includes("local-")),
    "the remote terminating, not serving endpoint is not used",
  );
  has(/^add rule ip kube-proxy endpoint-\S+-ns3\/sctp\/sctp\/p80__10\.180\.3\.1\/80 meta l4proto sctp dnat to 10\.180\.3\.1:80/);
  has(/^add element ip kube-proxy service-ips \{ 172\.30\.1\.3 \. sctp \. 80 : goto service-/);
  has(/^add rule ip kube-proxy service-\S+-ns4\/zoned\/tcp\/p80 .*numgen random mod 1 vmap \{ 0 : goto endpoint-\S+__10\.180\.4\.1\/80 \}/);
  has(/^add rule ip kube-proxy service-\S+-ns1\/terminating\/tcp\/p80 ip daddr 172\.30\.1\.1 tcp dport 80 jump mark-for-masquerade/);
  has(
    /^add rule ip kube-proxy local-\S+-ns2\/internal-local\/tcp\/p80 numgen random mod 1 vmap \{ 0 : goto endpoint-\S+__10\.180\.2\.1\/80 \}/,
  );
  has(/^add element ip kube-proxy service-ips \{ 172\.30\.1\.2 \. tcp \. 80 : goto local-\S+-ns2\/internal-local\/tcp\/p80 \}/);
});
