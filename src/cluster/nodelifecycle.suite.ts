/**
 * Node lifecycle on a datastore, the same cases for each backend: two heartbeating nodes with a
 * pod each behind a Service; the agent of one stops renewing (as a killed one would) — after its
 * lease runs out the node is NotReady (Unknown) and its endpoint not ready, the other's untouched;
 * a new agent's heartbeat brings both back.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { EndpointSlice, KubeObject, Node, Pod } from "../model/types.js";
import type { Datastore } from "../store/datastore.js";
import type { Store } from "../store/types.js";
import { DEFAULT_CLUSTER } from "./config.js";
import { reconcileEndpointSlices } from "./endpointslice.js";
import { NodeHeartbeat } from "./heartbeat.js";
import { runControllers } from "./index.js";
import { reconcileNodeLifecycle } from "./nodelifecycle.js";

const pod = (name: string, node: string, ip: string): Pod =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels: { app: "web" } },
    spec: { nodeName: node, containers: [{ name: "c", ports: [{ containerPort: 8080 }] }] },
    status: { phase: "Running", podIP: ip, podIPs: [{ ip }], conditions: [{ type: "Ready", status: "True" }] },
  }) as Pod;

/** nodeLifecycleSuite registers the case for one backend. */
export function nodeLifecycleSuite(name: string, make: () => Promise<{ ds: Datastore; store: Store; done: () => Promise<void> }>): void {
  test(
    `${name}: a node whose agent stops renewing turns NotReady and its endpoints not ready; a new heartbeat brings them back`,
    { timeout: 60_000 },
    async () => {
      const { ds, store, done } = await make();
      const beats: NodeHeartbeat[] = [];
      const pass = () =>
        store.update((tx) => {
          reconcileNodeLifecycle(tx);
          runControllers(tx, DEFAULT_CLUSTER);
          reconcileEndpointSlices(tx);
        });
      const state = async () => {
        await pass();
        const ready = (await ds.list<Node>("Node")).items.map((n) => {
          const c = (n.status?.conditions as { type: string; status: string }[] | undefined)?.find((x) => x.type === "Ready");
          return `${n.metadata.name}:${c?.status ?? "-"}`;
        });
        const eps = (await ds.list<EndpointSlice>("EndpointSlice")).items.flatMap((s) =>
          s.endpoints.map((e) => `${e.nodeName}:${e.conditions?.ready}`),
        );
        return [...ready, ...eps.sort()].join(" ");
      };
      try {
        await ds.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } } as KubeObject);
        for (const n of ["node-1", "node-2"])
          await ds.create({ apiVersion: "v1", kind: "Node", metadata: { name: n }, spec: {} } as KubeObject);
        await ds.create(pod("a", "node-1", "10.244.0.2"));
        await ds.create(pod("b", "node-2", "10.244.1.2"));
        await ds.create({
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: "web", namespace: "default" },
          spec: { selector: { app: "web" }, clusterIP: "10.96.0.10", ports: [{ port: 80, targetPort: 8080 }] },
        } as KubeObject);
        for (const n of ["node-1", "node-2"]) {
          const hb = new NodeHeartbeat(ds, n, 1);
          beats.push(hb);
          await hb.start();
        }
        assert.equal(await state(), "node-1:True node-2:True node-1:true node-2:true");
        await beats[1]?.stop();
        const gone = async () => (await ds.get({ kind: "Lease", namespace: "kube-node-lease", name: "node-2" })) === undefined;
        const deadline = Date.now() + 15_000;
        while (!(await gone()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        assert.equal(await state(), "node-1:True node-2:Unknown node-1:true node-2:false");
        const again = new NodeHeartbeat(ds, "node-2", 1);
        beats.push(again);
        await again.start();
        assert.equal(await state(), "node-1:True node-2:True node-1:true node-2:true");
      } finally {
        for (const b of beats) await b.stop(true);
        await ds.close();
        await done();
      }
    },
  );
}
