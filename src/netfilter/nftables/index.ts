/** nftables: a table's changes as data, applied with one atomic `nft -f -`. */
export { type NftListing, type NftNode, parseNftList, RealNft } from "./node.js";
export * from "./transaction.js";
export * from "./types.js";
export { type NftRuleset, parseNftRuleset } from "./ruleset.js";
export { nftChains } from "./trace.js";
