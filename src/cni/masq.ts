/**
 * Per-attachment masquerade (the bridge plugin's ipMasq): a chain of the attachment's own accepts
 * traffic to the pod's subnets and masquerades the rest (but multicast), and POSTROUTING jumps
 * there for each pod address. Removal reads POSTROUTING first and deletes only the jumps that
 * exist, so a half-removed attachment is still cleaned up in one restore.
 */
import { chainRules, comment, IptablesTransaction, type IptablesNode, RealIptables, specOf, targetOf } from "../netfilter/index.js";
import type { Executor } from "../exec/types.js";
import { formatCIDR, parseCIDR } from "../util/ip.js";
import { masqChainName } from "./names.js";
import type { IPConfig } from "./types.js";

const MULTICAST = { 4: "224.0.0.0/4", 6: "ff00::/8" } as const;
const family = (a: string): 4 | 6 => (a.includes(":") ? 6 : 4);
const hostCidr = (a: string) => `${a.split("/")[0]}/${family(a) === 6 ? 128 : 32}`;

/** MasqOwner names an attachment: its network, container and interface. */
export interface MasqOwner {
  network: string;
  containerId: string;
  ifname: string;
}

const note = (o: MasqOwner) => `name: ${o.network} id: ${o.containerId}`;
const jumpSpec = (o: MasqOwner, ip: string) =>
  `-s ${hostCidr(ip)} ${comment(note(o))} -j ${masqChainName(o.network, o.containerId, o.ifname)}`;

/** masqTransaction adds the masquerade of an attachment's addresses of one family (empty when it has none). */
export function masqTransaction(o: MasqOwner, ips: IPConfig[], fam: 4 | 6): IptablesTransaction {
  const tx = new IptablesTransaction(fam);
  const mine = ips.filter((i) => family(i.address) === fam);
  if (mine.length === 0) return tx;
  const chain = masqChainName(o.network, o.containerId, o.ifname);
  const c = comment(note(o));
  const specs = mine.map((i) => `-d ${formatCIDR(parseCIDR(i.address)!)} ${c} -j ACCEPT`);
  specs.push(`! -d ${MULTICAST[fam]} ${c} -j MASQUERADE`);
  tx.table("nat").declare(chain).appendRules(chainRules(chain, specs));
  tx.table("nat").appendRules(
    chainRules(
      "POSTROUTING",
      mine.map((i) => jumpSpec(o, i.address)),
    ),
  );
  return tx;
}

/** unmasqTransaction removes an attachment's masquerade from what POSTROUTING and the chain list (`-A` lines, undefined: no chain). */
export function unmasqTransaction(o: MasqOwner, fam: 4 | 6, postrouting: string[], chain: string[] | undefined): IptablesTransaction {
  const tx = new IptablesTransaction(fam);
  const name = masqChainName(o.network, o.containerId, o.ifname);
  for (const line of postrouting) {
    const spec = specOf(line, "POSTROUTING");
    if (spec !== undefined && targetOf(spec) === name) tx.table("nat").delete("POSTROUTING", spec);
  }
  if (chain !== undefined) tx.table("nat").flush(name).deleteChains(name);
  return tx;
}

/** setMasq adds (or, with remove, deletes) an attachment's masquerade with the machine's iptables. */
export async function setMasq(exec: Executor, o: MasqOwner, ips: IPConfig[], remove: boolean): Promise<void> {
  for (const fam of [4, 6] as const) {
    const ipt: IptablesNode = new RealIptables(exec, null, "system", fam);
    if (!remove) {
      await ipt.apply(masqTransaction(o, ips, fam));
      continue;
    }
    if (!ips.some((i) => family(i.address) === fam)) continue;
    const name = masqChainName(o.network, o.containerId, o.ifname);
    const [postrouting, chain] = await Promise.all([ipt.list("nat", "POSTROUTING"), ipt.list("nat", name)]);
    await ipt.apply(unmasqTransaction(o, fam, postrouting ?? [], chain));
  }
}
