/** NetworkPolicy truth tables with vxlan routing and the routed CNI data path (see netpol-suite.ts). */
import { test } from "node:test";
import { withLab } from "./helpers.js";
import { CASES } from "./netpol-cases.js";
import { truthTables } from "./netpol-suite.js";

test(`truth tables: ${CASES.length} policy sets, vxlan routing, routed CNI`, async () => {
  await withLab(2, truthTables, ["--routing-mode", "vxlan", "--cni-mode", "routed"]);
});
