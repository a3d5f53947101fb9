import assert from "node:assert/strict";
import { test } from "node:test";
import { RecordingExecutor } from "../exec/fake.js";
import { IptablesTransaction, jumpLine, RealIptables } from "../netfilter/index.js";
import { makeService, makeSlice, overall, testConfig } from "./fixtures.js";
import { JUMPS, observeJumps } from "./iptables/jumps.js";
import { endpointChain, serviceChains } from "./iptables/names.js";
import { IptablesProxier, renderFullSync } from "./iptables/proxier.js";
import { ServiceTracker } from "./tracker.js";

function fakeProxier(t: ServiceTracker) {
  const exec = new RecordingExecutor((c) =>
    c.argv[0] === "nft" ? { stdout: "table ip nat {\n\tchain KUBE-SEP-STALESTALESTALE1 {\n\t}\n}\n" } : undefined,
  );
  return { exec, p: new IptablesProxier(t, testConfig, 4, exec, "pn-x-node-1", "nft") };
}

test("sync twice gives identical rules; a second sync with no change writes nothing", async () => {
  const t = overall();
  const { exec, p } = fakeProxier(t);
  const first = await p.sync();
  assert.equal(first.full, true);
  assert.ok(first.deleted.includes("KUBE-SEP-STALESTALESTALE1"), "stale chains found in the kernel are removed");
  const restore = exec.calls.find((c) => c.argv[0] === "iptables-nft-restore");
  assert.deepEqual(restore?.argv, ["iptables-nft-restore", "-w", "5", "--noflush"]);
  assert.equal(restore?.netns, "pn-x-node-1");
  const again = await p.sync();
  assert.equal(again.full, false);
  assert.equal(again.restoreBytes, 0);
  const full = await p.sync({ full: true });
  const restores = exec.calls.filter((c) => c.argv[0] === "iptables-nft-restore");
  assert.equal(restores.length, 2, "one restore per full sync; the no-change sync ran none");
  // A full sync carries the canaries and the missing jumps in its own transaction, after podnet's chains.
  assert.match(restores[0]?.stdin ?? "", /^\*mangle\n:KUBE-PROXY-CANARY - \[0:0\]\nCOMMIT\n\*filter\n/);
  assert.match(
    restores[0]?.stdin ?? "",
    /\n:KUBE-PROXY-CANARY - \[0:0\]\n(-I .*\n)*-I PREROUTING 1 -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\n(-I .*\n)*COMMIT\n$/,
  );
  const strip = (s: string | undefined) => (s ?? "").replace(/^:KUBE-SEP-STALE.*\n|^-X KUBE-SEP-STALE.*\n/gm, "");
  assert.equal(strip(restores[1]?.stdin), strip(restores[0]?.stdin), "full syncs are identical");
  assert.equal(full.full, true);
});

test("an endpoint change rewrites only that service's chains", async () => {
  const t = overall();
  const { exec, p } = fakeProxier(t);
  await p.sync();
  t.setSlice("ns4/svc4", "svc4-1", makeSlice("ns4", "svc4", [{ ip: "10.180.0.4" }, { ip: "10.180.0.6", node: "test-node" }]));
  const r = await p.sync();
  const svc = serviceChains("ns4/svc4:p80", "tcp").svc;
  const added = endpointChain("ns4/svc4:p80", "tcp", "10.180.0.6:80");
  const gone = endpointChain("ns4/svc4:p80", "tcp", "10.180.0.5:80");
  assert.deepEqual(r.written.sort(), [`nat/${added}`, `nat/${svc}`].sort());
  assert.deepEqual(r.deleted, [gone]);
  const text = exec.calls.at(-1)?.stdin ?? "";
  assert.equal(
    text,
    [
      "*nat",
      `:${svc} - [0:0]`,
      `:${added} - [0:0]`,
      `:${gone} - [0:0]`,
      `-A ${svc} -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`,
      `-A ${svc} -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC`,
      `-A ${svc} -m comment --comment "ns4/svc4:p80 -> 10.180.0.6:80" -j ${added}`,
      `-A ${added} -m comment --comment ns4/svc4:p80 -s 10.180.0.6 -j KUBE-MARK-MASQ`,
      `-A ${added} -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.6:80`,
      `-X ${gone}`,
      "COMMIT",
      "",
    ].join("\n"),
  );
});

test("losing the last endpoint moves the service from nat to a filter REJECT and deletes its chains", async () => {
  const t = overall();
  const { p } = fakeProxier(t);
  await p.sync();
  t.setSlice("ns1/svc1", "svc1-1", null);
  const r = await p.sync();
  assert.deepEqual(r.written.sort(), ["filter/KUBE-SERVICES", "nat/KUBE-SERVICES"]);
  assert.deepEqual(r.deleted.sort(), ["KUBE-SEP-SXIVWICOYRO3J4NJ", "KUBE-SVC-XPGD46QRK7WJZT7O"]);
  t.setService("ns1/svc1", null);
  assert.deepEqual((await p.sync()).written, ["filter/KUBE-SERVICES"]);
});

test("a failed restore keeps the old state and forces a full sync", async () => {
  const t = overall();
  let fail = false;
  const exec = new RecordingExecutor((c) =>
    fail && c.argv[0] === "iptables-nft-restore" ? { code: 2, stderr: "line 3 failed" } : undefined,
  );
  const p = new IptablesProxier(t, testConfig, 4, exec, null, "nft");
  await p.sync();
  fail = true;
  t.setService("ns6/svc6", null);
  await assert.rejects(p.sync(), /failed to sync iptables rules of node "test-node": .*line 3 failed/);
  assert.equal(p.pendingFull, true);
  fail = false;
  assert.equal((await p.sync()).full, true);
});

test("dual-stack: each family's proxier sees every change, whichever syncs first", async () => {
  const t = new ServiceTracker();
  const exec = new RecordingExecutor();
  const cfg = { ...testConfig, clusterCIDRs: ["10.0.0.0/8", "fd00:10:244::/56"] };
  const p4 = new IptablesProxier(t, cfg, 4, exec, "pn-x-node-1", "nft");
  const p6 = new IptablesProxier(t, cfg, 6, exec, "pn-x-node-1", "nft");
  await p4.sync();
  await p6.sync();
  t.replaceAll(
    [makeService("ns", "ds", { clusterIPs: ["172.30.0.50", "fd00:10:96::50"], ipFamilies: ["IPv4", "IPv6"] })],
    [
      makeSlice("ns", "ds", [{ ip: "10.180.0.9" }]),
      {
        ...makeSlice("ns", "ds", [{ ip: "fd00:10:244::9" }]),
        metadata: { ...makeSlice("ns", "ds", []).metadata, name: "ds-v6" },
        addressType: "IPv6",
      },
    ],
  );
  const r4 = await p4.sync();
  const r6 = await p6.sync();
  const svc = serviceChains("ns/ds:p80", "tcp").svc;
  assert.ok(r4.written.includes(`nat/${svc}`), "IPv4 chains written");
  assert.ok(r6.written.includes(`nat/${svc}`), "IPv6 chains written too, after the IPv4 sync took its changes");
  assert.match(exec.calls.at(-1)?.stdin ?? "", /--to-destination \[fd00:10:244::9\]:80/);
});

test("large-cluster mode: above 1000 endpoints per-endpoint comments go (first sync and back when the count drops)", async () => {
  const t = new ServiceTracker();
  const ip = (i: number) => `10.180.${i >> 8}.${i & 255}`;
  const svcs = Array.from({ length: 340 }, (_, i) => makeService("ns", `s${i}`, { clusterIP: `172.30.${i >> 8}.${i & 255}` }));
  t.replaceAll(
    svcs,
    svcs.map((_, i) => makeSlice("ns", `s${i}`, [{ ip: ip(3 * i) }, { ip: ip(3 * i + 1) }, { ip: ip(3 * i + 2) }])),
  );
  const { exec, p } = fakeProxier(t);
  await p.sync();
  const first = exec.calls.find((c) => c.argv[0] === "iptables-nft-restore")?.stdin ?? "";
  const sep = endpointChain("ns/s0:p80", "tcp", "10.180.0.0:80");
  assert.match(first, new RegExp(`^-A ${sep} -s 10\\.180\\.0\\.0 -j KUBE-MARK-MASQ$`, "m"), "1020 endpoints: no endpoint comments");
  for (let i = 1; i < 340; i++) t.setService(`ns/s${i}`, null);
  await p.sync();
  assert.match(
    exec.calls.at(-1)?.stdin ?? "",
    new RegExp(`^-A ${sep} -m comment --comment ns/s0:p80 -s 10\\.180\\.0\\.0 -j KUBE-MARK-MASQ$`, "m"),
    "3 endpoints: comments are back",
  );
});

test("large-cluster mode counts endpoints once merged: slices repeating the same endpoints keep the comments", async () => {
  const t = new ServiceTracker();
  const ip = (i: number) => `10.180.${i >> 8}.${i & 255}`;
  const svcs = Array.from({ length: 200 }, (_, i) => makeService("ns", `s${i}`, { clusterIP: `172.30.${i >> 8}.${i & 255}` }));
  const eps = (i: number) => [{ ip: ip(3 * i) }, { ip: ip(3 * i + 1) }, { ip: ip(3 * i + 2) }];
  const copy = (i: number) => {
    const s = makeSlice("ns", `s${i}`, eps(i));
    return { ...s, metadata: { ...s.metadata, name: `s${i}-2` } };
  };
  // 1 200 endpoints in the slices, 600 once duplicates merge: below kube-proxy's threshold.
  t.replaceAll(
    svcs,
    svcs.flatMap((_, i) => [makeSlice("ns", `s${i}`, eps(i)), copy(i)]),
  );
  const sep = endpointChain("ns/s0:p80", "tcp", "10.180.0.0:80");
  const withComment = new RegExp(`^-A ${sep} -m comment --comment ns/s0:p80 -s 10\\.180\\.0\\.0 -j KUBE-MARK-MASQ$`, "m");
  assert.match(renderFullSync(t, testConfig, 4).text, withComment, "podnet render proxy");
  const { exec, p } = fakeProxier(t);
  await p.sync();
  assert.match(exec.calls.find((c) => c.argv[0] === "iptables-nft-restore")?.stdin ?? "", withComment, "first sync");
});

test("jumps: each built-in chain is listed once; missing jumps go in at the top in one restore, with the canaries", async () => {
  const missing = [JUMPS[0]!, JUMPS[10]!];
  const exec = new RecordingExecutor((c) => {
    const i = c.argv.indexOf("-S");
    if (i < 0) return c.argv.includes("-C") ? { code: 1 } : undefined;
    const chain = c.argv[i + 1];
    return {
      stdout: `-P ${chain} ACCEPT\n${JUMPS.filter((j) => j.from === chain && !missing.includes(j))
        .map(jumpLine)
        .join("\n")}\n`,
    };
  });
  const ipt = new RealIptables(exec, "pn-x-node-1", "nft", 4);
  const tx = new IptablesTransaction(4);
  const added = (await observeJumps(ipt, () => true, { canaries: true }))(tx);
  await ipt.apply(tx);
  assert.equal(added, 2);
  const lists = exec.calls.filter((c) => c.argv.includes("-S")).map((c) => c.argv.slice(4, 7).join(" "));
  assert.deepEqual(lists.sort(), [
    "filter -S FORWARD",
    "filter -S INPUT",
    "filter -S OUTPUT",
    "nat -S OUTPUT",
    "nat -S POSTROUTING",
    "nat -S PREROUTING",
  ]);
  assert.equal(
    exec.calls.filter((c) => c.argv.includes("-C") || c.argv.includes("-I")).length,
    0,
    "no -C: the listing shows no jump to those targets",
  );
  const restores = exec.calls.filter((c) => c.argv[0] === "iptables-nft-restore");
  assert.equal(restores.length, 1);
  assert.equal(
    restores[0]?.stdin,
    [
      "*mangle",
      ":KUBE-PROXY-CANARY - [0:0]",
      "COMMIT",
      "*filter",
      ":KUBE-PROXY-CANARY - [0:0]",
      '-I INPUT 1 -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
      "COMMIT",
      "*nat",
      ":KUBE-PROXY-CANARY - [0:0]",
      '-I PREROUTING 1 -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      "COMMIT",
      "",
    ].join("\n"),
  );
});

test("a legacy full sync reads the nat jumps from its table listing and writes only the missing ones, in the same restore", async () => {
  const natJumps = JUMPS.filter((j) => j.table === "nat");
  const save = [
    "*nat",
    ":PREROUTING ACCEPT [0:0]",
    ":OUTPUT ACCEPT [0:0]",
    ":POSTROUTING ACCEPT [0:0]",
    ...natJumps.map(jumpLine),
    "COMMIT",
    "",
  ].join("\n");
  const exec = new RecordingExecutor((c) => (c.argv[0] === "iptables-legacy-save" ? { stdout: save } : undefined));
  const r = await new IptablesProxier(overall(), testConfig, 4, exec, "pn-x-node-1", "legacy").sync();
  assert.equal(r.full, true);
  const lists = exec.calls.filter((c) => c.argv.includes("-S")).map((c) => c.argv.slice(4, 7).join(" "));
  assert.deepEqual(lists.sort(), ["filter -S FORWARD", "filter -S INPUT", "filter -S OUTPUT"], "nat's built-in chains came with the save");
  const restores = exec.calls.filter((c) => c.argv[0] === "iptables-legacy-restore");
  assert.equal(restores.length, 1, "chains, jumps and canaries in one transaction");
  const text = restores[0]?.stdin ?? "";
  assert.equal(text.match(/^-I /gm)?.length, JUMPS.length - natJumps.length, "only the filter jumps were missing");
  assert.ok(text.indexOf("-I FORWARD 1") > text.indexOf(":KUBE-FORWARD - [0:0]"), "jumps follow the chains they target");
});
