/**
 * Dynamic QoS and mirroring with real traffic (issue 23): iperf3 between pods on two nodes while
 * the rate annotations change under the running connection — the receiver's per-second intervals
 * must follow within a second, within ±10 %, and the connection must survive; fixed rates of 10,
 * 100 and 1000 Mbit/s; tcpdump on the node's mirror interface sees exactly the mirrored pod's
 * packets, both ways, and nothing once the annotation is gone; bad values leave the limit alone.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { nodeNetns } from "../../src/lab/layout.js";
import { exec, type TestLab, withLab } from "./helpers.js";

const PODS = `
apiVersion: v1
kind: Pod
metadata: {name: a}
spec: {nodeName: node-1, containers: [{name: e}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec: {nodeName: node-2, containers: [{name: e}]}
---
apiVersion: v1
kind: Pod
metadata: {name: c}
spec: {nodeName: node-1, containers: [{name: e}]}
`;
const IP = { a: "10.244.0.2", b: "10.244.1.2", c: "10.244.0.3" };
const OVN = { ingress: "ovn.kubernetes.io/ingress_rate", egress: "ovn.kubernetes.io/egress_rate" };
const K8S = { ingress: "kubernetes.io/ingress-bandwidth", egress: "kubernetes.io/egress-bandwidth" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Interval is one second of the receiver's report: when it started (s from the start) and its rate in Mbit/s. */
type Interval = { start: number; mbit: number };

/** iperf sends from pod a to pod b for `seconds`, running `during(t0)` meanwhile; it returns the receiver's intervals. */
async function iperf(lab: TestLab, seconds: number, during: (t0: number) => Promise<void> = async () => {}): Promise<Interval[]> {
  // The server exits after one client (-1) or 30 s without one; a failure is kept for the await below, not left unhandled.
  const server = lab.ok(["exec", "b", "--", "iperf3", "-s", "-1", "-J", "--idle-timeout", "30"]).catch((e: Error) => e);
  await sleep(400);
  const t0 = Date.now();
  const [srv, cli] = await Promise.all([
    server,
    lab.ok(["exec", "a", "--", "iperf3", "-c", IP.b, "-t", String(seconds), "-J"]),
    during(t0),
  ]);
  if (srv instanceof Error) throw srv;
  const c = JSON.parse(cli) as { error?: string };
  assert.equal(c.error, undefined, "the connection ran to its end");
  const s = JSON.parse(srv) as { intervals: { sum: { start: number; bits_per_second: number } }[] };
  return s.intervals.map((i) => ({ start: i.sum.start, mbit: i.sum.bits_per_second / 1e6 }));
}

const near = (mbit: number, limit: number) => mbit >= 0.9 * limit && mbit <= 1.1 * limit;
const show = (iv: Interval[]) => iv.map((i) => i.mbit.toFixed(1)).join(" ");

/** annotateAt sets a pod's annotation at `at` ms after t0 and returns the second (from t0) by which it was in force. */
async function annotateAt(lab: TestLab, t0: number, at: number, pod: string, update: string): Promise<number> {
  await sleep(Math.max(0, t0 + at - Date.now()));
  await lab.ok(["annotate", "pod", pod, update, "--overwrite"]);
  return (Date.now() - t0) / 1000;
}

/** firstAfter is the first whole interval that starts at or after second s. */
function firstAfter(iv: Interval[], s: number): Interval {
  const i = iv.find((x) => x.start >= s - 0.05);
  assert.ok(i, `an interval after ${s.toFixed(2)} s`);
  return i;
}

test(
  "QoS follows annotations live, both ways, both annotation styles; mirroring copies exactly one pod's packets",
  { timeout: 600_000 },
  async () => {
    await withLab(
      2,
      async (lab) => {
        await lab.ok(["apply", "-f", "-"], PODS);

        // Three changes under one connection: 50 → 20 → 30 → no limit (kube-ovn egress on the sender).
        await lab.ok(["annotate", "pod", "a", `${OVN.egress}=50`]);
        const marks: number[] = [];
        const iv = await iperf(lab, 10, async (t0) => {
          marks.push(await annotateAt(lab, t0, 2500, "a", `${OVN.egress}=20`));
          marks.push(await annotateAt(lab, t0, 5000, "a", `${OVN.egress}=30`));
          marks.push(await annotateAt(lab, t0, 7500, "a", `${OVN.egress}-`));
        });
        console.log(`  egress 50→20→30→none, changes in force at ${marks.map((m) => `${m.toFixed(2)} s`).join(", ")}: ${show(iv)}`);
        assert.ok(
          iv.slice(1, 2).every((i) => near(i.mbit, 50)),
          `50 Mbit/s before the change: ${show(iv)}`,
        );
        const [m1 = 0, m2 = 0, m3 = 0] = marks;
        assert.ok(near(firstAfter(iv, m1).mbit, 20), `20 Mbit/s within a second: ${show(iv)}`);
        assert.ok(near(firstAfter(iv, m2).mbit, 30), `30 Mbit/s within a second: ${show(iv)}`);
        assert.ok(firstAfter(iv, m3).mbit > 300, `line rate once removed: ${show(iv)}`);

        // The same, once each, for ingress (on the receiver) and for the Kubernetes annotations.
        const cases: [string, string, string, number, string, number][] = [
          ["ingress, kube-ovn", "b", OVN.ingress, 40, "15", 15],
          ["egress, Kubernetes", "a", K8S.egress, 40, "15M", 15],
          ["ingress, Kubernetes", "b", K8S.ingress, 40, "15M", 15],
        ];
        for (const [what, pod, key, first, next, want] of cases) {
          await lab.ok(["annotate", "pod", pod, `${key}=${key.startsWith("ovn") ? first : `${first}M`}`]);
          const m: number[] = [];
          const got = await iperf(lab, 7, async (t0) => {
            m.push(await annotateAt(lab, t0, 2500, pod, `${key}=${next}`));
            m.push(await annotateAt(lab, t0, 5000, pod, `${key}-`));
          });
          console.log(`  ${what} ${first}→${want}→none, in force at ${m.map((x) => `${x.toFixed(2)} s`).join(", ")}: ${show(got)}`);
          assert.ok(near(got[1]?.mbit ?? 0, first), `${what}: ${first} Mbit/s first: ${show(got)}`);
          assert.ok(near(firstAfter(got, m[0] ?? 0).mbit, want), `${what}: ${want} Mbit/s within a second: ${show(got)}`);
          assert.ok(firstAfter(got, m[1] ?? 0).mbit > 300, `${what}: line rate once removed: ${show(got)}`);
        }

        for (const rate of [10, 100, 1000]) {
          await lab.ok(["annotate", "pod", "a", `${OVN.egress}=${rate}`, "--overwrite"]);
          const got = await iperf(lab, 6);
          const mean = got.slice(1, 6).reduce((s, i) => s + i.mbit, 0) / 5;
          console.log(`  egress ${rate} Mbit/s: ${show(got)} (mean of seconds 2-6: ${mean.toFixed(1)})`);
          assert.ok(near(mean, rate), `${rate} Mbit/s within ±10 %: ${show(got)}`);
        }

        // Bad values: a warning, a pod condition, and the limit stays; the other pods are untouched.
        for (const bad of ["fast", "-5", "200000"]) {
          const r = await lab.cli(["annotate", "pod", "a", `${OVN.egress}=${bad}`, "--overwrite"]);
          assert.equal(r.code, 0);
          assert.match(
            r.stderr,
            new RegExp(`Warning: pod default/a: ovn.kubernetes.io/egress_rate: "${bad}" is .*; the previous setting stays`),
          );
        }
        const pod = await lab.json<{ status: { conditions: { type: string; status: string; message?: string }[] } }>(["get", "pod", "a"]);
        const cond = pod.status.conditions.find((c) => c.type === "podnet.io/QoS");
        assert.equal(cond?.status, "False");
        assert.match(cond?.message ?? "", /"200000" is above 100 Gbit\/s/);
        const wide = await lab.ok(["get", "pods", "-o", "wide"]);
        assert.match(wide, /^a\s.*\s1000M\s+-\s*$/m, `the 1000 Mbit/s limit stays:\n${wide}`);
        assert.match(wide, /^c\s.*\s-\s+-\s+-\s*$/m);
        assert.match(await lab.ok(["describe", "pod", "a"]), /qdisc tbf 1: root .*rate 1Gbit/);
        const netem = await lab.cli(["annotate", "pod", "c", "ovn.kubernetes.io/latency=10"]);
        assert.match(netem.stderr, /latency: not supported: this kernel has no netem/);

        await mirroring(lab);
      },
      ["--mirror"],
    );
  },
);

/** mirroring checks tcpdump's view of mirror0 on node-1 for a known exchange, with pod a mirrored and c not. */
async function mirroring(lab: TestLab): Promise<void> {
  const capture = async (exchange: () => Promise<void>): Promise<string[]> => {
    const lines: string[] = [];
    let buf = "";
    let listening: () => void = () => {};
    const ready = new Promise<void>((r) => {
      listening = r;
    });
    const dump = exec.stream(
      { argv: ["tcpdump", "-i", "mirror0", "-nn", "-l", "-U", "icmp"], netns: nodeNetns(lab.name, "node-1") },
      (chunk) => {
        buf += chunk.toString();
        const parts = buf.split("\n");
        buf = parts.pop() ?? "";
        lines.push(...parts.filter(Boolean));
      },
      (line) => {
        if (/listening on/.test(line)) listening();
      },
    );
    try {
      await Promise.race([ready, sleep(10_000)]);
      await exchange();
      await sleep(500);
    } finally {
      dump.stop();
      await dump.done;
    }
    return lines;
  };
  const ping = (from: string, to: string, n: number) => lab.ok(["exec", from, "--", "ping", "-c", String(n), "-i", "0.2", "-W", "2", to]);
  const exchange = async () => {
    await ping("a", IP.b, 5);
    await ping("b", IP.a, 3);
    await ping("c", IP.b, 4);
  };

  await lab.ok(["annotate", "pod", "a", "ovn.kubernetes.io/mirror=true"]);
  assert.match(await lab.ok(["get", "pods", "-o", "wide"]), /^a\s.*\syes\s*$/m);
  const seen = await capture(exchange);
  console.log(`  mirror0 saw ${seen.length} packets for 16 sent and received by pod a`);
  assert.equal(seen.length, 16, `a's 8 echo requests and 8 replies, both ways:\n${seen.join("\n")}`);
  assert.equal(seen.filter((l) => l.includes(`${IP.a} > ${IP.b}`)).length, 8);
  assert.equal(seen.filter((l) => l.includes(`${IP.b} > ${IP.a}`)).length, 8);
  assert.ok(!seen.some((l) => l.includes(IP.c)), "nothing of the unmirrored pod c");

  await lab.ok(["annotate", "pod", "a", "ovn.kubernetes.io/mirror-"]);
  const after = await capture(exchange);
  assert.deepEqual(after, [], "nothing once the annotation is removed");
}
