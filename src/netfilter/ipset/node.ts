/**
 * IpsetNode is one namespace's ipsets: apply a transaction with one `ipset restore -exist`, and read
 * the sets back from `ipset save`. RealIpset runs the commands through the executor; FakeIpset
 * (fake.ts) keeps the sets in memory.
 */
import type { Executor, NetnsRef } from "../../exec/types.js";
import { toolFailure } from "../../exec/types.js";
import { NetfilterError } from "../iptables/types.js";
import type { IpsetTransaction } from "./transaction.js";
import type { IpSet, SetType } from "./types.js";

/** IpsetNode reads and changes the ipsets of one namespace. */
export interface IpsetNode {
  /** apply runs the transaction as one restore; nothing when it is empty. */
  apply(tx: IpsetTransaction): Promise<void>;
  /** sets returns the sets whose names start with prefix, with their entries. */
  sets(prefix: string): Promise<Map<string, IpSet>>;
}

/** RealIpset runs `ipset` in one namespace. */
export class RealIpset implements IpsetNode {
  constructor(
    readonly exec: Executor,
    readonly netns: NetnsRef,
  ) {}

  async apply(tx: IpsetTransaction): Promise<void> {
    if (tx.empty) return;
    try {
      await this.exec.run({ argv: ["ipset", "restore", "-exist"], netns: this.netns, stdin: tx.render(), timeoutMs: 600_000 });
    } catch (e) {
      const { where, why, stderr } = toolFailure(e, this.netns);
      throw new NetfilterError(`failed to apply ipset restore${where}: ${why}`, { cause: e, stderr });
    }
  }

  async sets(prefix: string): Promise<Map<string, IpSet>> {
    const r = await this.exec.run({ argv: ["ipset", "save"], netns: this.netns, timeoutMs: 600_000 });
    return parseIpsetSave(r.stdout, prefix);
  }
}

/** parseIpsetSave reads `ipset save` output: the sets whose names start with prefix. */
export function parseIpsetSave(text: string, prefix: string): Map<string, IpSet> {
  const out = new Map<string, IpSet>();
  for (const line of text.split("\n")) {
    const words = line.split(" ");
    const name = words[1];
    if (!name?.startsWith(prefix)) continue;
    if (words[0] === "create") {
      const fam = words[words.indexOf("family") + 1];
      out.set(name, {
        name,
        type: words[2] as SetType,
        family: fam === "inet6" ? 6 : 4,
        skbinfo: words.includes("skbinfo"),
        entries: new Map(),
      });
    } else if (words[0] === "add") {
      out.get(name)?.entries.set(words[2] ?? "", words.slice(3).join(" "));
    }
  }
  return out;
}
