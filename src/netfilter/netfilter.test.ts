import assert from "node:assert/strict";
import { test } from "node:test";
import { RecordingExecutor } from "../exec/fake.js";
import { FakeIptables } from "./iptables/fake.js";
import { insertMissing, type Jump, jumpLine, presentJumps } from "./iptables/jumps.js";
import { RealIptables } from "./iptables/node.js";
import { chainRules, comment, quoteArgs, ruleLine, splitArgs, targetOf } from "./iptables/rule.js";
import { IptablesTransaction } from "./iptables/transaction.js";

test("a transaction renders per table in restore order, its steps in the order given", () => {
  const tx = new IptablesTransaction(4);
  tx.table("nat")
    .zeroCounters()
    .declare("A", "B")
    .append("A", "-j B")
    .appendRules(chainRules("B", ["-s 10.0.0.0/8 -j RETURN", "-j MASQUERADE"]));
  tx.table("nat").insert("POSTROUTING", "-j A").delete("POSTROUTING", "-j OLD").flush("C").deleteChains("C", "D");
  tx.table("mangle").declare("CANARY");
  assert.equal(
    tx.render(),
    `*mangle
:CANARY - [0:0]
COMMIT
*nat
-Z
:A - [0:0]
:B - [0:0]
-A A -j B
-A B -s 10.0.0.0/8 -j RETURN
-A B -j MASQUERADE
-I POSTROUTING 1 -j A
-D POSTROUTING -j OLD
-F C
-X C
-X D
COMMIT
`,
  );
  assert.equal(new IptablesTransaction(6).render(), "");
  assert.ok(new IptablesTransaction(6).empty);
});

test("rule text: quoting as iptables -S prints it, and nothing that could span lines", () => {
  assert.equal(comment("a b"), '-m comment --comment "a b"');
  assert.equal(comment("ab"), "-m comment --comment ab");
  assert.equal(quoteArgs(["-m", "comment", "--comment", "x y", "-j", "Z"]), '-m comment --comment "x y" -j Z');
  assert.deepEqual(splitArgs('-m comment --comment "x y" -j Z'), ["-m", "comment", "--comment", "x y", "-j", "Z"]);
  assert.equal(targetOf('-m comment --comment "a -j b" -j KUBE-SVC-X'), "KUBE-SVC-X");
  for (const bad of ['a"b', "a\nb", "a\\b"]) assert.throws(() => comment(bad), /not allowed/);
  assert.throws(() => ruleLine("C", "-j X\n-A OTHER -j ACCEPT"), /spans lines/);
  assert.throws(() => new IptablesTransaction(4).table("nat").insert("C", "-j X\nCOMMIT"), /spans lines/);
});

test("the fake applies a restore like iptables: chains must exist, targets too, -X needs an empty unreferenced chain", async () => {
  const ipt = new FakeIptables(4);
  const ok = new IptablesTransaction(4);
  ok.table("nat").declare("A").append("A", "-j MASQUERADE").insert("POSTROUTING", "-j A");
  await ipt.apply(ok);
  assert.deepEqual(await ipt.list("nat", "POSTROUTING"), ["-A POSTROUTING -j A"]);
  const bad = (f: (tx: IptablesTransaction) => void) => {
    const tx = new IptablesTransaction(4);
    f(tx);
    return ipt.apply(tx);
  };
  await assert.rejects(
    bad((tx) => tx.table("nat").append("NOPE", "-j ACCEPT")),
    /chain "NOPE" does not exist/,
  );
  await assert.rejects(
    bad((tx) => tx.table("nat").append("A", "-j NOPE")),
    /unknown chain "NOPE"/,
  );
  await assert.rejects(
    bad((tx) => tx.table("nat").deleteChains("A")),
    /not empty/,
  );
  await assert.rejects(
    bad((tx) => tx.table("nat").flush("A").deleteChains("A")),
    /referenced from "POSTROUTING"/,
  );
  await assert.rejects(
    bad((tx) => tx.table("nat").delete("POSTROUTING", "-j B")),
    /no rule/,
  );
  await assert.rejects(
    bad((tx) => tx.table("nat").declare("NEW").append("NOPE", "-j ACCEPT")),
    /does not exist/,
  );
  assert.equal(await ipt.list("nat", "NEW"), undefined, "a failed table commits nothing");
  await bad((tx) => tx.table("nat").delete("POSTROUTING", "-j A").flush("A").deleteChains("A"));
  assert.equal(ipt.dump("nat"), new FakeIptables(4).dump("nat"));
});

test("jumps: present as written or by -C when spelled otherwise; missing ones inserted at the top", async () => {
  const j: Jump = { table: "nat", from: "POSTROUTING", to: "X", args: ["-m", "comment", "--comment", "to x"] };
  const other: Jump = { table: "nat", from: "POSTROUTING", to: "Y", args: [] };
  const exec = new RecordingExecutor((c) => {
    if (c.argv.includes("-S")) return { stdout: `-P POSTROUTING ACCEPT\n${jumpLine(j)}\n-A POSTROUTING -m comment --comment y -j Y\n` };
    if (c.argv.includes("-C")) return { code: 1 };
    return undefined;
  });
  const ipt = new RealIptables(exec, "ns", "legacy", 4);
  const present = await presentJumps(ipt, [j, other]);
  assert.deepEqual([...present], [j]);
  assert.deepEqual(
    exec.commands(),
    ["[ns] iptables-legacy -w 5 -t nat -S POSTROUTING", "[ns] iptables-legacy -w 5 -t nat -C POSTROUTING -j Y"],
    "one listing; -C only for a differently spelled target",
  );
  const tx = new IptablesTransaction(4);
  assert.equal(insertMissing(tx, [j, other], present), 1);
  assert.equal(tx.render(), "*nat\n-I POSTROUTING 1 -j Y\nCOMMIT\n");
});
