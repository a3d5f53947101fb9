/** netfilter: iptables tables, chains and rules as transactions applied with one restore; conntrack. */

export { type ConntrackFlush, conntrackArgv, flushConntrack } from "./conntrack.js";
export { FakeIptables } from "./iptables/fake.js";
export { detectFlavour, HINT_CHAIN, hintTransaction, systemFlavour } from "./iptables/flavour.js";
export { insertMissing, type Jump, jumpArgs, jumpLine, jumpSpec, presentJumps } from "./iptables/jumps.js";
export { type ChainListing, type IptablesNode, parseNftChains, RealIptables } from "./iptables/node.js";
export {
  chainRules,
  comment,
  joinRules,
  quoteArgs,
  ruleLine,
  type RuleText,
  savedComment,
  specOf,
  splitArgs,
  targetOf,
} from "./iptables/rule.js";
export { iptablesChains, type RuleSource } from "./iptables/trace.js";
export { type Hook, type HookChain, type Outcome, type Packet, type TraceOptions, tracePacket } from "./trace.js";
export { parseSave } from "./iptables/save.js";
export { IptablesTransaction, type IptOp, TableTx } from "./iptables/transaction.js";
export * from "./iptables/types.js";
export * from "./ipset/index.js";
export * from "./nftables/index.js";
