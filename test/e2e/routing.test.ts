/** Cross-node routing e2e: every backend through the shared cases, then each backend's own promises. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { createNetns, deleteNetns } from "../../src/iproute/netns.js";
import { RealIpNode } from "../../src/iproute/index.js";
import { ipipTransaction } from "../../src/routing/ipip.js";
import { DEFAULT_ROUTING } from "../../src/routing/types.js";
import { exec, TestLab, waitFor, withLab } from "./helpers.js";
import { kernelRoutes, lines, membershipCases, nodeRun, pods, sharedCases } from "./routing-cases.js";

test("host-gw: all pairs, egress, node add/remove/restart", { timeout: 240_000 }, async () => {
  await withLab(
    3,
    async (lab) => {
      await sharedCases(lab, "host-gw");
      const routes = await nodeRun(lab, "node-1", ["ip", "route", "show", "proto", "81"]);
      assert.match(routes, /^10\.244\.1\.0\/24 via 172\.18\.0\.12 dev eth0/m);
      assert.match(routes, /^10\.244\.2\.0\/24 via 172\.18\.0\.13 dev eth0/m);
      await membershipCases(lab, (l, n) => kernelRoutes(l, n, "81"));
    },
    ["--routing-mode", "host-gw"],
  );
});

test("vxlan: all pairs, device and entries, MTU, node add/remove", { timeout: 240_000 }, async () => {
  await withLab(
    3,
    async (lab) => {
      await sharedCases(lab, "vxlan");
      const dev = await nodeRun(lab, "node-1", ["ip", "-d", "link", "show", "podnet.1"]);
      assert.match(dev, /mtu 1450 /);
      assert.match(dev, /vxlan id 1 local 172\.18\.0\.11 dev eth0 .*dstport 8472 nolearning/);
      const routes = await nodeRun(lab, "node-1", ["ip", "route", "show", "proto", "81"]);
      assert.match(routes, /^10\.244\.1\.0\/24 via 10\.244\.1\.0 dev podnet\.1 .*onlink/m);
      assert.match(await nodeRun(lab, "node-1", ["ip", "neigh", "show", "dev", "podnet.1"]), /^10\.244\.1\.0 lladdr \S+ PERMANENT/m);
      assert.match(await nodeRun(lab, "node-1", ["bridge", "fdb", "show", "dev", "podnet.1"]), / dst 172\.18\.0\.12 self permanent/);

      const ps = await pods(lab);
      const a = ps.find((p) => p.spec.nodeName === "node-1")!;
      const b = ps.find((p) => p.spec.nodeName === "node-3")!;
      assert.match(await lab.ok(["exec", a.metadata.name, "--", "ip", "link", "show", "eth0"]), /mtu 1450 /, "pod MTU follows the overlay");
      // 8 KB both ways across the overlay.
      const [up] = lines(
        await lab.ok(["curl", a.metadata.name, `http://${b.status?.podIP}:8080/`, "-d", "x".repeat(8192), "--count", "1"]),
      );
      assert.equal(up?.bodyBytes, 8192);
      const down = await lab.ok(["curl", a.metadata.name, `http://${b.status?.podIP}:8080/bytes/8192`]);
      assert.ok(down.length >= 8192, `8 KB response (${down.length} bytes)`);
      // ping -M do at exactly the pod MTU (1450 - 28 bytes of headers) passes; one byte more fails at
      // once: "message too long" is the sender's own refusal (EMSGSIZE), where a lost packet would end
      // in ping's timeout. (No wall-clock bound: CI took over 2 s just to start the CLI and ping.)
      const ping = (size: number) =>
        lab.cli(["exec", a.metadata.name, "--", "ping", "-c", "1", "-W", "2", "-M", "do", "-s", String(size), b.status?.podIP ?? ""]);
      assert.equal((await ping(1422)).code, 0, "1450-byte packet fits");
      const big = await ping(1423);
      assert.notEqual(big.code, 0);
      assert.match(big.stderr + big.stdout, /message too long/);

      await membershipCases(lab, (l, n) => kernelRoutes(l, n, "81"));
      for (const n of ["node-1", "node-3"])
        assert.doesNotMatch(await nodeRun(lab, n, ["bridge", "fdb", "show", "dev", "podnet.1"]), /172\.18\.0\.14/);
    },
    ["--routing-mode", "vxlan"],
  );
});

test("bgp: all pairs, Established sessions, proto bird routes, withdrawal, node add/remove", { timeout: 240_000 }, async () => {
  await withLab(
    3,
    async (lab) => {
      await sharedCases(lab, "bgp");
      const protocols = await nodeRun(lab, "node-1", ["birdc", "show", "protocols"]);
      assert.match(protocols, /node_node_2\s+BGP\s+.*Established/);
      assert.match(protocols, /node_node_3\s+BGP\s+.*Established/);
      const routes = await nodeRun(lab, "node-1", ["ip", "route"]);
      assert.match(routes, /^10\.244\.1\.0\/24 via 172\.18\.0\.12 dev eth0 proto bird/m);
      assert.match(routes, /^blackhole 10\.244\.0\.0\/24 proto bird/m);

      // Stopping BIRD on node-2 withdraws its block everywhere; the next reconcile restarts it.
      await nodeRun(lab, "node-2", ["birdc", "down"]);
      await waitFor("node-2's routes to be withdrawn", async () => !(await kernelRoutes(lab, "node-1", "bird")).includes("10.244.1.0/24"));
      assert.ok(!(await kernelRoutes(lab, "node-3", "bird")).includes("10.244.1.0/24"));
      await lab.ok(["apply", "-f", "-"], "apiVersion: v1\nkind: Namespace\nmetadata: {name: poke}\n");
      assert.ok((await kernelRoutes(lab, "node-1", "bird")).includes("10.244.1.0/24"), "BIRD restarted and re-announced");

      await membershipCases(lab, (l, n) => kernelRoutes(l, n, "bird"));
      assert.doesNotMatch(await nodeRun(lab, "node-1", ["birdc", "show", "protocols"]), /node_node_4/);
    },
    ["--routing-mode", "bgp"],
  );
});

test("bgp with a route reflector: clients peer only with it and still learn every block", { timeout: 120_000 }, async () => {
  await withLab(
    4,
    async (lab) => {
      const client = await nodeRun(lab, "node-3", ["birdc", "show", "protocols"]);
      assert.match(client, /node_node_1\s+BGP\s+.*Established/);
      assert.doesNotMatch(client, /node_node_2|node_node_4/);
      assert.deepEqual((await kernelRoutes(lab, "node-3", "bird")).sort(), [
        "10.244.0.0/24",
        "10.244.1.0/24",
        "10.244.2.0/24",
        "10.244.3.0/24",
      ]);
      assert.match(
        await nodeRun(lab, "node-3", ["ip", "route", "show", "10.244.3.0/24"]),
        /via 172\.18\.0\.14/,
        "reflected routes keep the origin's next hop",
      );
    },
    ["--routing-mode", "bgp", "--bgp-route-reflectors", "node-1"],
  );
});

test("ipip: the lab refuses it with the reason; rendered routes resolve through tunl0", { timeout: 60_000 }, async () => {
  const lab = new TestLab();
  try {
    const r = await lab.cli(["up", "--nodes", "1", "--routing-mode", "ipip"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no IPIP support/);
  } finally {
    await lab.down();
  }
  // Simulation: a veth named tunl0 stands in for the IPIP device this kernel lacks (no dummy module either).
  const ns = `pn-t${randomBytes(4).toString("hex")}-ipip`;
  await createNetns(exec, ns);
  try {
    await exec.run({ argv: ["ip", "link", "add", "tunl0", "type", "veth", "peer", "name", "tunl0p"], netns: ns });
    const nodes = [1, 2, 3].map((i) => ({ name: `node-${i}`, ip: `172.18.0.${10 + i}`, blocks: [`10.244.${i - 1}.0/24`] }));
    await new RealIpNode(exec, ns).apply(ipipTransaction(nodes[0]!, nodes, { ...DEFAULT_ROUTING, mode: "ipip" }));
    const got = await exec.run({ argv: ["ip", "route", "get", "10.244.2.7"], netns: ns });
    assert.match(got.stdout, /10\.244\.2\.7 via 172\.18\.0\.13 dev tunl0/);
    const own = await exec.run({ argv: ["ip", "route", "get", "10.244.0.9"], netns: ns, okCodes: [0, 2] });
    assert.match(own.stdout + own.stderr, /blackhole|Invalid argument|No route/);
  } finally {
    await deleteNetns(exec, ns);
  }
});

test("routed CNI mode (Calico's data path) over host-gw: all pairs, services, egress, blackhole", { timeout: 120_000 }, async () => {
  await withLab(
    3,
    async (lab) => {
      await sharedCases(lab, "routed");
      const ps = await pods(lab);
      const local = ps.filter((p) => p.spec.nodeName === "node-1");
      const routes = await nodeRun(lab, "node-1", ["ip", "route"]);
      for (const p of local)
        assert.match(routes, new RegExp(`^${p.status?.podIP?.replace(/\./g, "\\.")} dev pn[0-9a-f]{11} scope link`, "m"));
      assert.match(routes, /^blackhole 10\.244\.0\.0\/24 proto 81 metric 32/m, "the node's block is blackholed");
      assert.doesNotMatch(await nodeRun(lab, "node-1", ["ip", "link"]), /cni0/, "no bridge");
      const inPod = await lab.ok(["exec", local[0]!.metadata.name, "--", "ip", "route"]);
      assert.match(inPod, /^default via 169\.254\.1\.1 dev eth0/m);
      assert.match(await lab.ok(["exec", local[0]!.metadata.name, "--", "ip", "addr", "show", "eth0"]), /inet 10\.244\.0\.\d+\/32 /);
      const lost = await lab.cli(["exec", local[0]!.metadata.name, "--", "ping", "-c", "1", "-W", "1", "10.244.0.250"]);
      assert.notEqual(lost.code, 0, "an unassigned address of the block goes nowhere");
    },
    ["--routing-mode", "host-gw", "--cni-mode", "routed"],
  );
});
