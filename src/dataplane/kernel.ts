/**
 * NodeKernel is one node's network namespace as the data planes see it: iproute, traffic control,
 * ipsets, iptables of both families and sysctls, and `apply` for a NodeTransaction. The real one runs commands through the
 * executor in that namespace; FakeNodeKernel (fake.ts) keeps it all in memory.
 */
import type { Executor, NetnsRef } from "../exec/types.js";
import { type IpNode, RealIpNode } from "../iproute/index.js";
import { type Flavour, type IpsetNode, type IptablesNode, RealIpset, RealIptables } from "../netfilter/index.js";
import { RealTc, type TcNode } from "../tc/index.js";
import type { NodeTransaction } from "./transaction.js";

/** NodeKernel reads and changes one node's network namespace. */
export interface NodeKernel {
  readonly netns: NetnsRef;
  readonly ip: IpNode;
  readonly ipset: IpsetNode;
  readonly tc: TcNode;
  iptables(family: 4 | 6): IptablesNode;
  /** apply runs a transaction: iproute changes, tc, link removals, ipsets, iptables (IPv4, IPv6), ipset removals, sysctls. */
  apply(tx: NodeTransaction): Promise<void>;
}

/** applyParts is NodeKernel.apply for any kernel: one batch per tool, one restore per family and for ipsets, one sysctl call. */
export async function applyParts(
  k: NodeKernel,
  tx: NodeTransaction,
  sysctl: (values: Map<string, string>) => Promise<void>,
): Promise<void> {
  if (!tx.ip.empty) await k.ip.apply(tx.ip);
  if (!tx.tc.empty) await k.tc.apply(tx.tc);
  if (!tx.ipAfter.empty) await k.ip.apply(tx.ipAfter);
  if (!tx.ipsets.empty) await k.ipset.apply(tx.ipsets);
  for (const f of [4, 6] as const) if (!tx.iptables[f].empty) await k.iptables(f).apply(tx.iptables[f]);
  if (!tx.ipsetsAfter.empty) await k.ipset.apply(tx.ipsetsAfter);
  if (tx.sysctls.size) await sysctl(tx.sysctls);
}

/** RealNodeKernel is a namespace on this machine; flavour picks iptables-nft or -legacy ("system": plain iptables). */
export class RealNodeKernel implements NodeKernel {
  readonly ip: RealIpNode;
  readonly ipset: RealIpset;
  readonly tc: RealTc;
  private readonly ipt: Record<4 | 6, RealIptables>;

  constructor(
    readonly exec: Executor,
    readonly netns: NetnsRef,
    flavour: Flavour | "system",
  ) {
    this.ip = new RealIpNode(exec, netns);
    this.ipset = new RealIpset(exec, netns);
    this.tc = new RealTc(exec, netns);
    this.ipt = { 4: new RealIptables(exec, netns, flavour, 4), 6: new RealIptables(exec, netns, flavour, 6) };
  }

  iptables(family: 4 | 6): RealIptables {
    return this.ipt[family];
  }

  apply(tx: NodeTransaction): Promise<void> {
    return applyParts(this, tx, async (values) => {
      await this.exec.run({ argv: ["sysctl", "-q", "-w", ...[...values].map(([k, v]) => `${k}=${v}`)], netns: this.netns });
    });
  }
}
