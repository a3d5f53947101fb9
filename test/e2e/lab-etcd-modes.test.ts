/**
 * The routing suite's shared cases in host-gw and bgp mode on the lab on etcd, with node agents
 * (vxlan runs in lab-etcd.test.ts): pods on every node, pod to pod across nodes with the source
 * kept, node to pod, ClusterIP to other nodes' endpoints, and egress with the node's address.
 */
import { test } from "node:test";
import { withLab } from "./helpers.js";
import { sharedCases } from "./routing-cases.js";

for (const mode of ["host-gw", "bgp"])
  test(`the lab on etcd, ${mode}: pods, services and routing through node agents`, { timeout: 240_000 }, async () => {
    await withLab(3, (lab) => sharedCases(lab, mode), ["--datastore", "etcd", "--node-agent", "--routing-mode", mode]);
  });
