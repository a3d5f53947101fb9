/**
 * NftNode is one namespace's nftables as the proxy uses it: apply a transaction with one
 * `nft -f -` (atomic), list a table's chains and sets, and say whether a table exists. RealNft
 * runs nft through the executor.
 */
import type { Executor, NetnsRef } from "../../exec/types.js";
import { toolFailure } from "../../exec/types.js";
import type { NftFamily, NftTransaction } from "./transaction.js";
import { NftError } from "./types.js";

/** NftListing is what a table holds by name: its chains and its sets (maps included). */
export interface NftListing {
  chains: string[];
  sets: string[];
}

/** NftNode reads and changes one namespace's nftables. */
export interface NftNode {
  apply(tx: NftTransaction): Promise<void>;
  /** list names a table's chains and sets; undefined when the table does not exist. */
  list(family: NftFamily, table: string): Promise<NftListing | undefined>;
  /** hasChain says whether a table has a chain (false also when the table is gone). */
  hasChain(family: NftFamily, table: string, chain: string): Promise<boolean>;
}

type NftJson = { nftables?: Record<string, { name?: string; table?: string; family?: string }>[] };

/** parseNftList reads `nft -j list chains|sets <family>` output, keeping one table's names. */
export function parseNftList(json: string, kind: "chain" | "set" | "map", table: string): string[] {
  const doc = JSON.parse(json || "{}") as NftJson;
  return (doc.nftables ?? []).flatMap((o) => {
    const x = o[kind];
    return x?.table === table && x.name ? [x.name] : [];
  });
}

/** RealNft runs `nft` in one namespace. */
export class RealNft implements NftNode {
  constructor(
    readonly exec: Executor,
    readonly netns: NetnsRef,
  ) {}

  async apply(tx: NftTransaction): Promise<void> {
    if (tx.empty) return;
    await this.run(["nft", "-f", "-"], tx.render(), `apply nft transaction to table ${tx.family} ${tx.table}`);
  }

  async list(family: NftFamily, table: string): Promise<NftListing | undefined> {
    const exists = await this.exec.run({ argv: ["nft", "list", "tables", family], netns: this.netns, timeoutMs: 60_000 });
    if (!exists.stdout.split("\n").some((l) => l.trim() === `table ${family} ${table}`)) return undefined;
    const [chains, sets] = await Promise.all(
      (["chains", "sets"] as const).map((what) => this.run(["nft", "-j", "list", what, family], undefined, `list nft ${what}`)),
    );
    return {
      chains: parseNftList(chains?.stdout ?? "", "chain", table),
      sets: [...parseNftList(sets?.stdout ?? "", "set", table), ...parseNftList(sets?.stdout ?? "", "map", table)],
    };
  }

  async hasChain(family: NftFamily, table: string, chain: string): Promise<boolean> {
    const r = await this.exec.run({
      argv: ["nft", "list", "chain", family, table, chain],
      netns: this.netns,
      okCodes: [0, 1],
      timeoutMs: 60_000,
    });
    return r.code === 0;
  }

  private async run(argv: string[], stdin: string | undefined, what: string) {
    try {
      return await this.exec.run({ argv, netns: this.netns, ...(stdin === undefined ? {} : { stdin }), timeoutMs: 600_000 });
    } catch (e) {
      const { where, why, stderr } = toolFailure(e, this.netns);
      throw new NftError(`failed to ${what}${where}: ${why}`, { cause: e, stderr });
    }
  }
}
