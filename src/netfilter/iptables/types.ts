/** The iptables vocabulary: tables, families, flavours and the subsystem's error. */

/** Table is an iptables table podnet writes. */
export type Table = "raw" | "mangle" | "filter" | "nat";

/** TABLE_ORDER is the order tables appear in a restore (and in a fake's dump). */
export const TABLE_ORDER: readonly Table[] = ["raw", "mangle", "filter", "nat"];

/** BUILTIN_CHAINS are each table's built-in chains. */
export const BUILTIN_CHAINS: Record<Table, readonly string[]> = {
  raw: ["PREROUTING", "OUTPUT"],
  mangle: ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
  filter: ["INPUT", "FORWARD", "OUTPUT"],
  nat: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
};

/** IpFamily is 4 (iptables) or 6 (ip6tables). */
export type IpFamily = 4 | 6;

/** Flavour is an iptables backend: iptables-nft or iptables-legacy. */
export type Flavour = "nft" | "legacy";

/** FLAVOURS lists the iptables backends. */
export const FLAVOURS: readonly Flavour[] = ["nft", "legacy"];

/** NetfilterError is a failed netfilter operation: `failed to <verb> <thing> "<name>": <cause>`. */
export class NetfilterError extends Error {
  readonly stderr: string;
  constructor(msg: string, options: { cause?: unknown; stderr?: string } = {}) {
    super(msg, options.cause === undefined ? {} : { cause: options.cause });
    this.name = "NetfilterError";
    this.stderr = options.stderr ?? "";
  }
}
