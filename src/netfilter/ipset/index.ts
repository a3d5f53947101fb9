/** ipset: sets of addresses, networks and address-port pairs as data, applied with one `ipset restore`. */
export { FakeIpset } from "./fake.js";
export { type IpsetNode, parseIpsetSave, RealIpset } from "./node.js";
export { IpsetTransaction, type IpsetOp } from "./transaction.js";
export * from "./types.js";
