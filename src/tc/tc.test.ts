import assert from "node:assert/strict";
import { test } from "node:test";
import { RecordingExecutor } from "../exec/fake.js";
import { FakeTc } from "./fake.js";
import { RealTc } from "./node.js";
import { parseHookFilter, parseJsonSeq, parseQdiscs } from "./parse.js";
import { TcTransaction } from "./transaction.js";
import { sameTbf } from "./types.js";

const mirror = { kind: "mirred", mode: "mirror", to: "mirror0" } as const;
const redirect = { kind: "mirred", mode: "redirect", to: "pb0123456789a" } as const;

test("a tc transaction renders one tc -batch input; device names are checked", () => {
  const tx = new TcTransaction()
    .replaceRoot("pn0123456789a", { rate: 50e6, burst: 65536, latencyMs: 25 })
    .addClsact("pn0123456789a")
    .setFilter("pn0123456789a", "ingress", [mirror, redirect], false)
    .setFilter("pn0123456789a", "egress", [mirror], true)
    .delFilter("pn0123456789b", "egress")
    .delClsact("pn0123456789c")
    .delRoot("pn0123456789c");
  assert.equal(
    tx.render(),
    [
      "qdisc replace dev pn0123456789a root handle 1: tbf rate 50000000bit burst 65536 latency 25ms",
      "qdisc add dev pn0123456789a clsact",
      "filter add dev pn0123456789a ingress pref 1 protocol all u32 match u32 0 0 action mirred egress mirror dev mirror0 action mirred egress redirect dev pb0123456789a",
      "filter del dev pn0123456789a egress pref 2",
      "filter add dev pn0123456789a egress pref 2 protocol all u32 match u32 0 0 action mirred egress mirror dev mirror0",
      "filter del dev pn0123456789b egress pref 2",
      "qdisc del dev pn0123456789c clsact",
      "qdisc del dev pn0123456789c root",
      "",
    ].join("\n"),
  );
  assert.throws(() => new TcTransaction().delRoot("x y").render(), /not an interface name/);
  assert.throws(
    () => new TcTransaction().setFilter("a", "ingress", [{ ...mirror, to: "m\nqdisc del dev eth0 root" }], false).render(),
    /not an interface name/,
  );
});

// What tc 6.1 prints (captured in a namespace), cut to the fields podnet reads.
const QDISCS = JSON.stringify([
  { kind: "noqueue", handle: "0:", dev: "lo", root: true, options: {} },
  { kind: "tbf", handle: "1:", dev: "pn0123456789a", root: true, options: { rate: 6250000, burst: 65531, lat: 25000 } },
  { kind: "clsact", handle: "ffff:", dev: "pn0123456789a", parent: "ffff:fff1", options: {} },
  { kind: "htb", handle: "1:", dev: "eth9", root: true, options: {} },
]);
const INGRESS = JSON.stringify([
  { protocol: "all", pref: 1, kind: "u32", chain: 0 },
  { protocol: "all", pref: 1, kind: "u32", chain: 0, options: { fh: "800:", ht_divisor: 1 } },
  {
    protocol: "all",
    pref: 1,
    kind: "u32",
    options: {
      fh: "800::800",
      actions: [
        { order: 1, kind: "mirred", mirred_action: "mirror", direction: "egress", to_dev: "mirror0", control_action: { type: "pipe" } },
        {
          order: 2,
          kind: "mirred",
          mirred_action: "redirect",
          direction: "egress",
          to_dev: "pb0123456789a",
          control_action: { type: "stolen" },
        },
      ],
    },
  },
]);

test("tc's JSON reads back as the state podnet wrote", async () => {
  const state = parseQdiscs(JSON.parse(QDISCS));
  assert.deepEqual(state.get("pn0123456789a"), { clsact: true, filters: {}, root: { rate: 50e6, burst: 65531, latencyMs: 25 } });
  assert.equal(state.get("lo")?.root, undefined, "a default root (handle 0:) is nobody's");
  assert.equal(state.get("eth9")?.root, "other");
  assert.ok(sameTbf(state.get("pn0123456789a")?.root, { rate: 50e6, burst: 65536, latencyMs: 25 }), "burst within 1 %");
  assert.ok(!sameTbf(state.get("pn0123456789a")?.root, { rate: 20e6, burst: 65536, latencyMs: 25 }));
  assert.deepEqual(parseHookFilter(JSON.parse(INGRESS), "ingress"), [mirror, redirect]);
  assert.equal(parseHookFilter([], "egress"), undefined);
  assert.deepEqual(
    parseHookFilter([{ pref: 2, kind: "u32", options: { actions: [{ kind: "gact" }] } }], "egress"),
    [],
    "a foreign action is kept as unknown",
  );
  assert.deepEqual(parseJsonSeq(`[1]\n[]\n[{"a":"]"}]`), [[1], [], [{ a: "]" }]]);

  const exec = new RecordingExecutor((c) => {
    if (c.argv.includes("qdisc")) return { stdout: QDISCS };
    return { stdout: `${INGRESS}\n[]\n` };
  });
  const read = await new RealTc(exec, "pn-x-n1").state();
  assert.deepEqual(read.get("pn0123456789a")?.filters, { ingress: [mirror, redirect] });
  assert.deepEqual(
    exec.calls.map((c) => [c.argv.join(" "), c.stdin]),
    [
      ["tc -j qdisc show", undefined],
      ["tc -j -batch -", "filter show dev pn0123456789a ingress\nfilter show dev pn0123456789a egress\n"],
    ],
  );
});

test("the fake refuses what the kernel refuses", async () => {
  const tc = new FakeTc();
  await assert.rejects(tc.apply(new TcTransaction().setFilter("a", "ingress", [mirror], false)), /Cannot find specified qdisc/);
  await tc.apply(new TcTransaction().addClsact("a").setFilter("a", "ingress", [mirror], false));
  await assert.rejects(tc.apply(new TcTransaction().addClsact("a")), /Exclusivity/);
  await assert.rejects(tc.apply(new TcTransaction().setFilter("a", "ingress", [mirror], false)), /already exists/);
  await assert.rejects(tc.apply(new TcTransaction().delRoot("a")), /handle of zero/);
});
