/** NetworkPolicy truth tables with host-gw routing and the bridge CNI data path (see netpol-suite.ts). */
import { test } from "node:test";
import { withLab } from "./helpers.js";
import { CASES } from "./netpol-cases.js";
import { truthTables } from "./netpol-suite.js";

test(`truth tables: ${CASES.length} policy sets, host-gw routing, bridge CNI`, async () => {
  await withLab(2, truthTables, ["--routing-mode", "host-gw", "--cni-mode", "bridge"]);
});
