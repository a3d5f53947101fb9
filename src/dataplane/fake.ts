/** FakeNodeKernel: a node's iproute, ipsets, iptables and sysctls in memory, for unit tests that assert on state. */
import { FakeIpNode } from "../iproute/index.js";
import { FakeIpset, FakeIptables } from "../netfilter/index.js";
import { FakeTc } from "../tc/index.js";
import { applyParts, type NodeKernel } from "./kernel.js";
import type { NodeTransaction } from "./transaction.js";

/** FakeNodeKernel is an in-memory node; `applied` counts the non-empty transactions it took. */
export class FakeNodeKernel implements NodeKernel {
  readonly ip: FakeIpNode;
  readonly ipt = { 4: new FakeIptables(4), 6: new FakeIptables(6) } as const;
  readonly sysctls = new Map<string, string>();
  readonly tc = new FakeTc();
  /** ipset refuses to destroy a set that a rule of either family still names. */
  readonly ipset = new FakeIpset((name) =>
    ([4, 6] as const).some((f) =>
      this.ipt[f]
        .dumpAll()
        .split("\n")
        .some((l) => / --(match|map)-set /.test(l) && l.includes(` ${name} `)),
    ),
  );
  applied = 0;

  constructor(
    readonly netns: string = "fake-node",
    world?: Map<string, FakeIpNode>,
  ) {
    this.ip = new FakeIpNode(netns, world);
  }

  /** dump is the node's whole state: iproute objects, ipsets, both families' iptables (iptables-save style), sysctls. */
  dump(): string {
    const ipt = ([4, 6] as const).map((f) => `# ${f === 6 ? "ip6tables" : "iptables"}\n${this.ipt[f].dumpAll()}`);
    const sysctls = [...this.sysctls].map(([k, v]) => `${k}=${v}`).sort();
    const sets = this.ipset.all.size ? [`# ipset\n${this.ipset.dump()}`] : [];
    return [...this.ip.dump(), ...sets, ...ipt, ...sysctls].join("\n");
  }

  iptables(family: 4 | 6): FakeIptables {
    return this.ipt[family];
  }

  async apply(tx: NodeTransaction): Promise<void> {
    if (!tx.empty) this.applied++;
    await applyParts(this, tx, async (values) => {
      for (const [k, v] of values) this.sysctls.set(k, v);
    });
  }
}
