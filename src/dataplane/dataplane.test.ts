import assert from "node:assert/strict";
import { test } from "node:test";
import { RecordingExecutor } from "../exec/fake.js";
import { awaitConverged, type DataPlane, reconcile } from "./engine.js";
import { FakeNodeKernel } from "./fake.js";
import { RealNodeKernel } from "./kernel.js";
import { NodeTransaction, renderSections } from "./transaction.js";

test("a node transaction applies iproute, then iptables per family, then sysctls, each in one call", async () => {
  const tx = new NodeTransaction().sysctl("net.ipv4.ip_forward", 1);
  tx.ip.addLink({ name: "v0", kind: "veth", peer: { name: "v1" } });
  tx.iptables[6].table("nat").declare("X");
  const exec = new RecordingExecutor();
  await new RealNodeKernel(exec, "pn-x-n1", "legacy").apply(tx);
  assert.deepEqual(exec.commands(), [
    "[pn-x-n1] ip -batch -",
    "[pn-x-n1] ip6tables-legacy-restore -w 5 --noflush",
    "[pn-x-n1] sysctl -q -w net.ipv4.ip_forward=1",
  ]);
  assert.equal(
    renderSections(tx.render()),
    "# ip -batch -\nlink add v0 type veth peer name v1\n\n# ip6tables-restore --noflush\n*nat\n:X - [0:0]\nCOMMIT\n\n# sysctl -w\nnet.ipv4.ip_forward=1\n",
  );
  assert.throws(() => new NodeTransaction().sysctl("net.ipv4.conf.a b.forwarding", 1), /invalid key/);
  assert.throws(() => new NodeTransaction().sysctl("net.ipv4.ip_forward", "1 kernel.x=2"), /invalid key or value/);
});

/** A plane that wants one route and reports a peer block BIRD would learn only after a few checks. */
function plane(k: FakeNodeKernel, learnedAfter: number): DataPlane<string, { routes: string[]; checks: number }, NodeTransaction> {
  let checks = 0;
  return {
    observe: async () => ({ routes: (await k.ip.routes({ family: 4 })).map((r) => r.dst), checks: ++checks }),
    plan: (dst, o) => {
      const tx = new NodeTransaction();
      if (!o.routes.includes(dst)) tx.ip.replaceRoute({ dst, blackhole: true });
      return tx;
    },
    apply: (tx) => k.apply(tx),
    pending: (_d, o) => (o.checks > learnedAfter ? [] : ["no route to 10.9.0.0/24"]),
  };
}

test("the engine applies a plan once, changes nothing the second time, and waits for what converges later", async () => {
  const k = new FakeNodeKernel();
  const p = plane(k, 3);
  assert.equal(await reconcile(p, "10.0.0.0/8"), 1);
  assert.equal(await reconcile(p, "10.0.0.0/8"), 0);
  assert.equal(k.applied, 1);
  await awaitConverged(p, "10.0.0.0/8", "test plane", 5_000);
  await assert.rejects(
    awaitConverged(plane(k, 1000), "10.0.0.0/8", "slow plane", 50),
    /failed to converge slow plane: no route to 10\.9\.0\.0\/24 after 50 ms/,
  );
});
