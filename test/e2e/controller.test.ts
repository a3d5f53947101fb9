/**
 * `podnet controller` as two real processes over a real etcd: the leader writes the cluster's
 * objects (node CIDRs, a Deployment's pods, scheduled); `kill -9` of the leader hands the lead to
 * the other within 5 s (the measured time is printed), and a scale made afterwards happens.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_CLUSTER } from "../../src/cluster/config.js";
import { clusterInformation } from "../../src/cluster/information.js";
import type { Stream } from "../../src/exec/types.js";
import { startTestEtcd, webDeployment } from "../../src/lab/etcd.js";
import type { KubeObject, Node, Pod } from "../../src/model/types.js";
import { EtcdDatastore } from "../../src/store/etcd.js";
import { exec, PODNET, waitFor } from "./helpers.js";

test(
  "two podnet controllers on etcd: the leader reconciles; kill -9 of it hands over within 5 s and a later scale happens",
  { timeout: 120_000 },
  async (t) => {
    const etcd = await startTestEtcd(exec);
    const ds = new EtcdDatastore({ endpoints: [etcd.endpoint] });
    const procs = new Map<string, Stream>();
    const url = etcd.endpoint.replace("http://", "etcd://");
    try {
      await ds.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } } as KubeObject);
      await ds.create(clusterInformation(DEFAULT_CLUSTER, "e2e"));
      for (const n of ["node-1", "node-2"])
        await ds.create({ apiVersion: "v1", kind: "Node", metadata: { name: n }, spec: {} } as KubeObject);
      await ds.create(webDeployment(3));
      for (const id of ["controller/1", "controller/2"])
        procs.set(
          id,
          exec.stream({ argv: [PODNET, "controller", "--store", url, "--identity", id, "--lease-duration", "2s"], netns: null }, () => {}),
        );
      const pods = async () => (await ds.list<Pod>("Pod")).items;
      await waitFor("3 scheduled pods", async () => (await pods()).filter((p) => p.spec.nodeName).length === 3, 30_000);
      assert.deepEqual((await ds.list<Node>("Node")).items.map((n) => n.spec.podCIDR).sort(), ["10.244.0.0/24", "10.244.1.0/24"]);
      const holder = async () =>
        (
          (await ds.get<KubeObject>({ kind: "Lease", namespace: "podnet-system", name: "podnet-controller" }))?.spec as
            { holderIdentity?: string } | undefined
        )?.holderIdentity;
      const leader = (await holder()) as string;
      assert.ok(procs.has(leader), `a replica leads: ${leader}`);
      const killed = Date.now();
      procs.get(leader)?.stop("SIGKILL");
      await waitFor("the other replica to lead", async () => ![undefined, leader].includes(await holder()), 10_000);
      const took = Date.now() - killed;
      t.diagnostic(`after kill -9 of ${leader}, ${await holder()} led in ${took} ms (lease 2 s)`);
      assert.ok(took <= 5_000, `a new leader within 5 s: ${took} ms`);
      const d = await ds.get<KubeObject>({ kind: "Deployment", namespace: "default", name: "web" });
      await ds.update({
        ...webDeployment(5),
        metadata: { ...webDeployment(5).metadata, resourceVersion: d?.metadata.resourceVersion },
      } as KubeObject);
      await waitFor("5 scheduled pods after the scale", async () => (await pods()).filter((p) => p.spec.nodeName).length === 5, 15_000);
    } finally {
      for (const p of procs.values()) p.stop();
      await Promise.all([...procs.values()].map((p) => p.done));
      await ds.close();
      await etcd.stop();
    }
  },
);
