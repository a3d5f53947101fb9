/**
 * Subnets and egress on the lab on etcd, with node agents: the controller daemons hand out the
 * Subnet blocks and choose the centralized gateway, the agents route the blocks and SNAT at the
 * gateway, and the gateway moves to the second node once the first is removed — the same case as
 * the embedded store's egress test, with real packets.
 */
import { test } from "node:test";
import { subnetsAndEgress } from "./egress-cases.js";
import { withLab } from "./helpers.js";

for (const mode of ["vxlan", "bgp"])
  test(
    `the lab on etcd, ${mode}: Subnets give addresses per namespace; egress is SNATed, exposed or centralized`,
    { timeout: 240_000 },
    async () => {
      await withLab(3, (lab) => subnetsAndEgress(lab, mode), ["--datastore", "etcd", "--node-agent", "--routing-mode", mode]);
    },
  );
