/** FakeNodeKernel: a node's iproute, iptables and sysctls in memory, for unit tests that assert on state. */
import { FakeIpNode } from "../iproute/index.js";
import { FakeIptables } from "../netfilter/index.js";
import { applyParts, type NodeKernel } from "./kernel.js";
import type { NodeTransaction } from "./transaction.js";

/** FakeNodeKernel is an in-memory node; `applied` counts the non-empty transactions it took. */
export class FakeNodeKernel implements NodeKernel {
  readonly ip: FakeIpNode;
  readonly ipt = { 4: new FakeIptables(4), 6: new FakeIptables(6) } as const;
  readonly sysctls = new Map<string, string>();
  applied = 0;

  constructor(
    readonly netns: string = "fake-node",
    world?: Map<string, FakeIpNode>,
  ) {
    this.ip = new FakeIpNode(netns, world);
  }

  /** dump is the node's whole state: iproute objects, both families' iptables (iptables-save style), sysctls. */
  dump(): string {
    const ipt = ([4, 6] as const).map((f) => `# ${f === 6 ? "ip6tables" : "iptables"}\n${this.ipt[f].dumpAll()}`);
    const sysctls = [...this.sysctls].map(([k, v]) => `${k}=${v}`).sort();
    return [...this.ip.dump(), ...ipt, ...sysctls].join("\n");
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
