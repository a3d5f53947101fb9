import assert from "node:assert/strict";
import { test } from "node:test";
import { overall, testConfig } from "./fixtures.js";
import { renderFullSync } from "./iptables/proxier.js";
import { RecordingExecutor } from "../exec/fake.js";
import { ensureNfacct, parseNfacct } from "./nfacct.js";

test("nfacct: kube-proxy's counters on the INVALID drop and localhost NodePorts, only when the kernel has nfacct; read back from nfacct list", () => {
  const off = renderFullSync(overall(), testConfig, 4).text;
  assert.doesNotMatch(off, /nfacct/, "without nfacct the rules are kube-proxy's plain ones");
  const on = renderFullSync(overall(), { ...testConfig, nfacct: true }, 4).text;
  assert.match(on, /^-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP$/m);
  assert.match(
    on,
    /^-A KUBE-NODEPORTS -m comment --comment ns3\/svc3:p80 -m tcp -p tcp -d 127\.0\.0\.0\/8 --dport 3003 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-\S+$/m,
  );
  assert.equal(
    on.split("\n").length - off.split("\n").length,
    3,
    "one localhost line per NodePort with endpoints (svc2 has none here), none elsewhere",
  );
  const listed =
    "{ pkts = 00000000000000000012, bytes = 00000000000000000720 } = ct_state_invalid_dropped_pkts;\n{ pkts = 00000000000000000003, bytes = 00000000000000000180 } = localhost_nps_accepted_pkts;\n";
  assert.deepEqual(
    [...parseNfacct(listed)],
    [
      ["ct_state_invalid_dropped_pkts", 12],
      ["localhost_nps_accepted_pkts", 3],
    ],
  );
});

test("ensureNfacct: objects a previous proxy made are fine (add says busy, get finds them); no kernel support is false (table)", async () => {
  const cases: [string, (argv: string[]) => { code: number; stderr?: string }, boolean][] = [
    ["fresh", () => ({ code: 0 }), true],
    [
      "made by a previous run",
      (a) => (a[1] === "add" ? { code: 1, stderr: "nfacct v1.0.2: error: Device or resource busy" } : { code: 0 }),
      true,
    ],
    ["no nfacct in the kernel", () => ({ code: 1, stderr: "nfacct v1.0.2: error: Operation not supported" }), false],
  ];
  for (const [what, reply, want] of cases) {
    const exec = new RecordingExecutor((c) => reply(c.argv));
    assert.equal(await ensureNfacct(exec, "ns1"), want, what);
  }
});
