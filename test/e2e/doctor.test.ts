/**
 * `lab doctor` against injected faults (issue 24): each fault is made inside the lab's namespaces
 * only, doctor must fail the check it breaks with the right cause code, and pass every check once
 * the fault is undone. Ten faults over three labs: host-gw (forwarding, routes, FORWARD policy,
 * service rules, the proxy, DNS, MTU, rp_filter), vxlan (an FDB entry) and bgp (BIRD).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { CheckResult } from "../../src/doctor/causes.js";
import type { Node } from "../../src/model/types.js";
import { exec, REPO, type TestLab, withLab } from "./helpers.js";

const WEB = join(REPO, "examples/web.yaml");

async function doctor(lab: TestLab): Promise<{ code: number; checks: CheckResult[] }> {
  const r = await lab.cli(["doctor", "-o", "json"]);
  return { code: r.code, checks: (JSON.parse(r.stdout) as { checks: CheckResult[] }).checks };
}

/** fault injects, runs doctor, expects `check` failed with `cause`, undoes, and expects all green. */
async function fault(
  lab: TestLab,
  what: string,
  inject: () => Promise<unknown>,
  undo: () => Promise<unknown>,
  check: string,
  cause: string,
) {
  await inject();
  const sick = await doctor(lab);
  const c = sick.checks.find((x) => x.name === check);
  const failing = sick.checks.filter((x) => !x.ok).map((x) => `${x.name}: ${x.cause}`);
  assert.equal(sick.code, 1, `${what}: doctor exits 1`);
  assert.deepEqual([c?.ok, c?.cause], [false, cause], `${what}: ${check} fails with ${cause}; failing: ${failing.join(", ")}`);
  assert.ok((c?.evidence ?? []).length > 0 && c?.fix, `${what}: evidence and a fix`);
  console.log(`  ${what}: ${check} -> ${cause} (${c?.evidence?.[0]}); ${failing.length} checks failed`);
  await undo();
  const well = await doctor(lab);
  assert.deepEqual(
    well.checks.filter((x) => !x.ok).map((x) => `${x.name}: ${x.cause} ${x.evidence?.join("; ")}`),
    [],
    `${what}: all green once undone`,
  );
  assert.equal(well.code, 0);
}

const node = (lab: TestLab, n: string, argv: string[]) => exec.run({ argv, netns: lab.nodeNetns(n) });
const proxyPid = (lab: TestLab, n: string) =>
  (JSON.parse(readFileSync(join(lab.stateDir, "labs", lab.name, "nodes", n, "proxy-status.json"), "utf8")) as { pid: number }).pid;
const scaleDns = async (lab: TestLab, replicas: number) =>
  lab.ok(
    ["apply", "-f", "-"],
    (await lab.ok(["get", "deployment", "coredns", "-n", "kube-system", "-o", "yaml"])).replace(/replicas: \d+/, `replicas: ${replicas}`),
  );

test("doctor: eight faults on a host-gw lab, each named by its cause and gone once undone", { timeout: 300_000 }, async () => {
  await withLab(
    2,
    async (lab) => {
      await lab.ok(["apply", "-f", WEB]);
      const healthy = await doctor(lab);
      assert.deepEqual(
        healthy.checks.filter((c) => !c.ok),
        [],
        "a fresh lab is all green",
      );
      assert.ok(healthy.checks.some((c) => c.name === "pods-cross-node/node-1->node-2" && c.ok));
      const reapply = () => lab.ok(["apply", "-f", WEB]);
      const cidr2 = (await lab.json<Node>(["get", "node", "node-2"])).spec.podCIDR as string;

      await fault(
        lab,
        "ip_forward off on node-2",
        () => node(lab, "node-2", ["sysctl", "-qw", "net.ipv4.ip_forward=0"]),
        () => node(lab, "node-2", ["sysctl", "-qw", "net.ipv4.ip_forward=1"]),
        "pods-cross-node/node-1->node-2",
        "ip-forward-disabled",
      );
      await fault(
        lab,
        "node-1's route to node-2's pods deleted",
        () => node(lab, "node-1", ["ip", "route", "del", cidr2]),
        reapply,
        "pods-cross-node/node-1->node-2",
        "route-missing",
      );
      await fault(
        lab,
        "FORWARD policy DROP on node-1",
        () => node(lab, "node-1", ["iptables", "-P", "FORWARD", "DROP"]),
        () => node(lab, "node-1", ["iptables", "-P", "FORWARD", "ACCEPT"]),
        "pods-same-node/node-1",
        "forward-policy-drop",
      );
      // The proxy is frozen so that it cannot rewrite what was flushed; undone by restarting it.
      await fault(
        lab,
        "KUBE-SERVICES flushed on node-1",
        async () => {
          process.kill(proxyPid(lab, "node-1"), "SIGSTOP");
          await node(lab, "node-1", ["iptables", "-t", "nat", "-F", "KUBE-SERVICES"]);
        },
        async () => {
          const pid = proxyPid(lab, "node-1");
          process.kill(pid, "SIGKILL");
          process.kill(pid, "SIGCONT");
          await reapply();
        },
        "service/node-1",
        "service-rules-missing",
      );
      await fault(
        lab,
        "the proxy of node-2 killed, its rules flushed",
        async () => {
          process.kill(proxyPid(lab, "node-2"), "SIGKILL");
          await node(lab, "node-2", ["iptables", "-t", "nat", "-F", "KUBE-SERVICES"]);
        },
        reapply,
        "service/node-2",
        "proxy-down",
      );
      await fault(
        lab,
        "DNS pods scaled to 0",
        () => scaleDns(lab, 0),
        () => scaleDns(lab, 2),
        "dns/node-1",
        "dns-no-endpoints",
      );
      await fault(
        lab,
        "node-2's uplink MTU lowered",
        () => node(lab, "node-2", ["ip", "link", "set", "eth0", "mtu", "1200"]),
        () => node(lab, "node-2", ["ip", "link", "set", "eth0", "mtu", "1500"]),
        "underlay-mtu",
        "mtu-mismatch",
      );
      await fault(
        lab,
        "strict rp_filter on node-1's uplink",
        () => node(lab, "node-1", ["sysctl", "-qw", "net.ipv4.conf.eth0.rp_filter=1"]),
        () => node(lab, "node-1", ["sysctl", "-qw", "net.ipv4.conf.eth0.rp_filter=0"]),
        "node-config/node-1",
        "rp-filter-strict",
      );
    },
    ["--dns"],
  );
});

test("doctor: a VXLAN FDB entry deleted, and BIRD stopped on a bgp node", { timeout: 240_000 }, async () => {
  await withLab(
    2,
    async (lab) => {
      await lab.ok(["apply", "-f", WEB]);
      const fdb = (await node(lab, "node-1", ["bridge", "fdb", "show", "dev", "podnet.1"])).stdout;
      const mac = /^(\S+) dst 172\.18\.0\.12 /m.exec(fdb)?.[1] as string;
      assert.ok(mac, fdb);
      await fault(
        lab,
        "node-1's FDB entry for node-2's VTEP deleted",
        () => node(lab, "node-1", ["bridge", "fdb", "del", mac, "dev", "podnet.1", "dst", "172.18.0.12"]),
        () => lab.ok(["apply", "-f", WEB]),
        "pods-cross-node/node-1->node-2",
        "vxlan-fdb-missing",
      );
    },
    ["--routing-mode", "vxlan"],
  );
  await withLab(
    2,
    async (lab) => {
      await lab.ok(["apply", "-f", WEB]);
      const pidFile = join(lab.stateDir, "labs", lab.name, "nodes", "node-2", "routing", "bird", "bird.pid");
      await fault(
        lab,
        "BIRD stopped on node-2",
        async () => {
          process.kill(Number(readFileSync(pidFile, "utf8")), "SIGTERM");
          await new Promise((r) => setTimeout(r, 500));
        },
        () => lab.ok(["apply", "-f", WEB]),
        "pods-cross-node/node-1->node-2",
        "bgp-daemon-down",
      );
    },
    ["--routing-mode", "bgp"],
  );
});
