/**
 * The daemons' `--store etcd://…`, through the real CLI: `podnet ui` follows a real etcd (on
 * loopback ports in this namespace), shows what is stored, and a pod written to etcd afterwards
 * appears in its snapshot.
 */
import { clusterInformation } from "../../src/cluster/information.js";
import { DEFAULT_CLUSTER } from "../../src/cluster/index.js";
import { test } from "node:test";
import { startTestEtcd } from "../../src/lab/etcd.js";
import type { KubeObject } from "../../src/model/types.js";
import { EtcdDatastore } from "../../src/store/etcd.js";
import { exec, PODNET, waitFor } from "./helpers.js";

const pod = (name: string, ip: string): KubeObject =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: { nodeName: "node-1", containers: [{ name: "c" }] },
    status: { phase: "Running", podIP: ip, podIPs: [{ ip }] },
  }) as KubeObject;

test("podnet ui --store etcd://… shows what etcd holds and follows it", { timeout: 120_000 }, async () => {
  const etcd = await startTestEtcd(exec);
  const ds = new EtcdDatastore({ endpoints: [etcd.endpoint] });
  let out = "";
  const ui = exec.stream(
    { argv: [PODNET, "ui", "--store", etcd.endpoint.replace("http://", "etcd://"), "--listen", "127.0.0.1:0"], netns: null },
    (chunk) => (out += chunk.toString()),
  );
  try {
    await ds.create(clusterInformation(DEFAULT_CLUSTER, "e2e"));
    await ds.create({ apiVersion: "v1", kind: "Node", metadata: { name: "node-1" }, spec: { podCIDR: "10.244.0.0/24" } } as KubeObject);
    await ds.create(pod("a", "10.244.0.2"));
    await waitFor("the ui's URL", async () => /serving (\S+)/.test(out));
    const url = /serving (\S+)/.exec(out)?.[1] as string;
    const pods = async () => {
      const r = await fetch(`${url}api/snapshot`);
      if (!r.ok) return [];
      return ((await r.json()) as { pods: { name: string; node?: string }[] }).pods.map((p) => `${p.name}@${p.node}`).sort();
    };
    await waitFor("pod a in the snapshot", async () => (await pods()).includes("a@node-1"));
    await ds.create(pod("b", "10.244.0.3"));
    await waitFor("pod b, written after the ui started", async () => (await pods()).join() === "a@node-1,b@node-1", 5_000);
  } finally {
    ui.stop();
    await ui.done;
    await ds.close();
    await etcd.stop();
  }
});
