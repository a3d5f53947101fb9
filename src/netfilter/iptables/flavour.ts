/**
 * Which iptables a node uses, decided the way kube-proxy's image decides (iptables-wrapper): a
 * KUBE-IPTABLES-HINT or KUBE-KUBELET-CANARY chain in the mangle table names the flavour kubelet
 * uses; without one, the flavour holding more rules wins, with nft on a tie.
 */
import type { Executor, NetnsRef } from "../../exec/types.js";
import { RealIptables } from "./node.js";
import { IptablesTransaction } from "./transaction.js";
import { FLAVOURS, type Flavour, type IpFamily, type Table } from "./types.js";

const HINT = /^:(KUBE-IPTABLES-HINT|KUBE-KUBELET-CANARY) /m;
/** HINT_CHAIN is the mangle chain kubelet creates to tell kube-proxy which iptables it uses. */
export const HINT_CHAIN = "KUBE-IPTABLES-HINT";

async function save(exec: Executor, netns: NetnsRef, flavour: Flavour, family: IpFamily, table?: Table): Promise<string> {
  try {
    return await new RealIptables(exec, netns, flavour, family).save(table);
  } catch {
    return "";
  }
}

/** detectFlavour inspects a namespace's rules and returns the flavour its other users chose. */
export async function detectFlavour(exec: Executor, netns: NetnsRef): Promise<Flavour> {
  for (const f of FLAVOURS) {
    const mangle = (await save(exec, netns, f, 4, "mangle")) + (await save(exec, netns, f, 6, "mangle"));
    if (HINT.test(mangle)) return f;
  }
  const count = async (f: Flavour) =>
    ((await save(exec, netns, f, 4)) + (await save(exec, netns, f, 6))).split("\n").filter((l) => l.startsWith("-")).length;
  return (await count("legacy")) > (await count("nft")) ? "legacy" : "nft";
}

/** hintTransaction creates kubelet's hint chain, which tells kube-proxy (and podnet's proxy) the flavour in use. */
export function hintTransaction(): IptablesTransaction {
  const tx = new IptablesTransaction(4);
  tx.table("mangle").declare(HINT_CHAIN);
  return tx;
}

/** systemFlavour is the flavour of the machine's plain `iptables` (its alternative): "iptables v1.8.9 (nf_tables)" is nft. */
export async function systemFlavour(exec: Executor): Promise<Flavour> {
  const r = await exec.run({ argv: ["iptables", "--version"], netns: null });
  return /\(legacy\)/.test(r.stdout) ? "legacy" : "nft";
}
