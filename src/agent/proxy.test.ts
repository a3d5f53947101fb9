/**
 * The proxy `podnet agent` hosts: its node settings come from the flags, else from the node's Node
 * (as kube-proxy's); it follows the same store as the routing (one follower) and syncs an endpoint
 * change that routing has nothing to do with; it waits, without failing the agent, for a Node that
 * has no address yet.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FakeNodeKernel } from "../dataplane/index.js";
import { RecordingExecutor } from "../exec/fake.js";
import type { Node } from "../model/types.js";
import { makeService, makeSlice, simDaemonOptions } from "../proxy/fixtures.js";
import { DEFAULT_PROXY_CONFIG } from "../proxy/types.js";
import { DEFAULT_ROUTING } from "../routing/types.js";
import { EmbeddedStore } from "../store/embedded.js";
import { AgentDaemon } from "./daemon.js";
import { type HostedProxyOptions, nodeSettings } from "./proxy.js";

const node = (addresses: string[], zone?: string): Node =>
  ({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "n1", labels: zone ? { "topology.kubernetes.io/zone": zone } : {} },
    spec: { podCIDR: "10.244.1.0/24", podCIDRs: ["10.244.1.0/24"] },
    status: { addresses: addresses.map((address) => ({ type: "InternalIP", address })) },
  }) as Node;

const opts = (nodeIPs: string[] = [], nodeLabels: Record<string, string> = {}): HostedProxyOptions =>
  simDaemonOptions({ ...DEFAULT_PROXY_CONFIG, nodeName: "n1", nodeIPs, clusterCIDRs: ["10.244.0.0/16"], nodeLabels });

test("nodeSettings: flags win, else the Node's InternalIPs and zone (table)", () => {
  const cases: [string, HostedProxyOptions, Node | undefined, string[], Record<string, string>][] = [
    [
      "from the Node",
      opts(),
      node(["172.18.0.11", "fd00::11"], "z1"),
      ["172.18.0.11", "fd00::11"],
      { "topology.kubernetes.io/zone": "z1" },
    ],
    ["--node-ip given", opts(["192.0.2.1"]), node(["172.18.0.11"]), ["192.0.2.1"], {}],
    [
      "--zone given",
      opts([], { "topology.kubernetes.io/zone": "a" }),
      node(["172.18.0.11"], "b"),
      ["172.18.0.11"],
      { "topology.kubernetes.io/zone": "a" },
    ],
    ["no Node yet", opts(), undefined, [], {}],
  ];
  for (const [what, o, n, ips, labels] of cases) assert.deepEqual(nodeSettings(o, n), { nodeIPs: ips, nodeLabels: labels }, what);
});

test("the hosted proxy follows the agent's store: it waits for the Node's address, then syncs every endpoint change", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podnet-test-agentproxy-"));
  const store = new EmbeddedStore(join(dir, "store.json"));
  const exec = new RecordingExecutor();
  const lines: string[] = [];
  const agent = new AgentDaemon(exec, {
    node: "n1",
    store: store.file,
    settings: { ...DEFAULT_ROUTING, mode: "host-gw" },
    clusterCIDRs: ["10.244.0.0/16"],
    stateDir: dir,
    iptables: "legacy",
    resyncPeriodMs: 60_000,
    kernel: new FakeNodeKernel("n1"),
    proxy: opts(),
    log: (l) => lines.push(l),
  });
  const restores = () => exec.calls.filter((c) => /^iptables(-legacy)?-restore$/.test(c.argv[0] ?? "")).map((c) => c.stdin ?? "");
  const until = async (ok: () => boolean, what: string) => {
    for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(ok(), what);
  };
  let run: Promise<void> | undefined;
  try {
    await store.create((tx) => {
      tx.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
      tx.put(node([]));
      tx.put(makeService("default", "web", { clusterIP: "10.96.0.10" }));
      tx.put(makeSlice("default", "web", [{ ip: "10.244.1.5", node: "n1" }]));
    });
    await agent.start();
    run = agent.run();
    assert.equal(restores().length, 0, "no rules before the node has an address");
    assert.ok(
      lines.some((l) => /waiting for Node "n1" to have an InternalIP/.test(l)),
      lines.join("\n"),
    );

    await store.update((tx) => tx.put(node(["172.18.0.11"])));
    await until(() => restores().some((r) => r.includes("10.244.1.5")), "the proxy's first sync has the endpoint");
    assert.ok(
      lines.some((l) => /proxy: iptables mode, node IPs 172\.18\.0\.11/.test(l)),
      lines.join("\n"),
    );

    await store.update((tx) =>
      tx.put(
        makeSlice("default", "web", [
          { ip: "10.244.1.5", node: "n1" },
          { ip: "10.244.1.6", node: "n1" },
        ]),
      ),
    );
    const version = await store.version();
    await until(() => agent.proxyApplied >= version, "the proxy synced the endpoint change");
    assert.ok(restores().at(-1)?.includes("10.244.1.6"));
  } finally {
    agent.stop();
    await run;
    rmSync(dir, { recursive: true, force: true });
  }
});
