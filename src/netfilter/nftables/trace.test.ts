import assert from "node:assert/strict";
import { test } from "node:test";
import { type Packet, tracePacket } from "../trace.js";
import { parseNftRuleset } from "./ruleset.js";
import { nftChains } from "./trace.js";

// A small table in `nft -j list ruleset` form, with the text `nft -a` lists for two of its rules.
const T = { family: "ip", table: "t" };
const chain = (name: string, base?: object) => ({ chain: { ...T, name, ...base } });
let handle = 0;
const rule = (name: string, ...expr: object[]) => ({ rule: { ...T, chain: name, handle: ++handle, expr } });
const daddr = { payload: { protocol: "ip", field: "daddr" } };
const saddr = { payload: { protocol: "ip", field: "saddr" } };
const mark = { meta: { key: "mark" } };
const JSON_RULESET = JSON.stringify({
  nftables: [
    { table: { ...T, name: "t" } },
    { set: { ...T, name: "pinned", type: "ipv4_addr", elem: [{ elem: { val: "10.0.0.9", timeout: 10800, expires: 10000 } }] } },
    {
      map: {
        ...T,
        name: "svc",
        type: ["ipv4_addr", "inet_proto", "inet_service"],
        map: "verdict",
        elem: [
          [{ concat: ["10.96.0.1", "tcp", 80] }, { goto: { target: "svc-web" } }],
          [{ elem: { val: { concat: ["10.96.0.2", "tcp", 80] }, comment: "none" } }, { goto: { target: "reject" } }],
        ],
      },
    },
    chain("pre", { type: "nat", hook: "prerouting", prio: -100, policy: "accept" }),
    chain("fwd", { type: "filter", hook: "forward", prio: 0, policy: "drop" }),
    chain("post", { type: "nat", hook: "postrouting", prio: 100, policy: "accept" }),
    chain("svc-web"),
    chain("ep-a"),
    chain("ep-b"),
    chain("reject"),
    chain("masq"),
    rule("pre", {
      vmap: { key: { concat: [daddr, { meta: { key: "l4proto" } }, { payload: { protocol: "th", field: "dport" } }] }, data: "@svc" },
    }),
    rule("svc-web", { match: { op: "==", left: saddr, right: "@pinned" } }, { goto: { target: "ep-b" } }),
    rule("svc-web", {
      vmap: {
        key: { numgen: { mode: "random", mod: 2, offset: 0 } },
        data: {
          set: [
            [0, { goto: { target: "ep-a" } }],
            [1, { goto: { target: "ep-b" } }],
          ],
        },
      },
    }),
    rule("ep-a", { mangle: { key: mark, value: { "|": [mark, 16384] } } }, { dnat: { addr: "10.244.0.5", port: 8080 } }),
    rule("ep-b", { match: { op: "==", left: { meta: { key: "l4proto" } }, right: "tcp" } }, { dnat: { addr: "10.244.1.5", port: 8080 } }),
    rule("reject", { reject: { type: "icmp", expr: "port-unreachable" } }),
    rule("fwd", { match: { op: "in", left: { ct: { key: "state" } }, right: ["established", "related"] } }, { accept: null }),
    rule("fwd", { match: { op: "==", left: daddr, right: { prefix: { addr: "10.244.0.0", len: 16 } } } }, { accept: null }),
    rule("post", { jump: { target: "masq" } }),
    rule("masq", { match: { op: "==", left: { "&": [mark, 16384] }, right: 0 } }, { return: null }),
    rule("masq", { masquerade: { flags: "fully-random" } }),
  ],
});
const LISTING = `table ip t { # handle 1
\tchain pre { # handle 2
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t\tip daddr . meta l4proto . th dport vmap @svc # handle 1
\t}
\tchain masq { # handle 9
\t\tmasquerade fully-random # handle 11
\t}
}`;

const chains = nftChains(parseNftRuleset(JSON_RULESET, LISTING), 4);
const trace = (src: string, dst: string, dport = 80) => {
  const pkt: Packet = { src, dst, proto: "tcp", dport };
  return tracePacket(chains, pkt, { local: () => false, from: "outside" });
};

test("nft trace: a random verdict map splits the flow; marks, goto and masquerade behave as in the kernel", () => {
  const out = trace("10.0.0.1", "10.96.0.1");
  assert.deepEqual(
    out.map((o) => [o.probability, o.verdict, o.dnat, o.masquerade, o.mark]),
    [
      [0.5, "ACCEPT", "10.244.0.5:8080", true, 16384],
      [0.5, "ACCEPT", "10.244.1.5:8080", false, 0],
    ],
  );
  assert.equal(out[0]?.rules[0], "ip t pre: ip daddr . meta l4proto . th dport vmap @svc");
  assert.equal(out[0]?.rules.at(-1), "ip t masq: masquerade fully-random");
  assert.equal(out[1]?.rules.at(-1), "ip t masq: handle 10", "a rule without listed text is named by its handle");
});

test("nft trace: a client in the affinity set is pinned to its endpoint", () => {
  assert.deepEqual(
    trace("10.0.0.9", "10.96.0.1").map((o) => [o.probability, o.dnat]),
    [[1, "10.244.1.5:8080"]],
  );
});

test("nft trace: map elements with comments, a base chain's drop policy, no match in a map", () => {
  assert.deepEqual(
    trace("10.0.0.1", "10.96.0.2").map((o) => o.verdict),
    ["REJECT"],
  );
  assert.deepEqual(
    trace("10.0.0.1", "192.0.2.1").map((o) => [o.verdict, o.dnat]),
    [["DROP", undefined]],
  );
  assert.deepEqual(
    trace("10.0.0.1", "10.96.0.1", 81).map((o) => o.verdict),
    ["DROP"],
  );
});

test("nft trace: an expression the tracer does not know is an error, not a guess", () => {
  const odd = JSON.stringify({
    nftables: [
      { chain: { ...T, name: "pre", type: "filter", hook: "prerouting", prio: 0, policy: "accept" } },
      { rule: { ...T, chain: "pre", handle: 1, expr: [{ match: { op: "==", left: { osf: { key: "name" } }, right: "Linux" } }] } },
    ],
  });
  assert.throws(
    () =>
      tracePacket(
        nftChains(parseNftRuleset(odd), 4),
        { src: "10.0.0.1", dst: "10.0.0.2", proto: "tcp", dport: 1 },
        { local: () => false, from: "outside" },
      ),
    /unsupported nft expression/,
  );
});
