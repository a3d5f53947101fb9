/** tc: traffic-control objects (shaping roots, clsact filters) as data, applied with one `tc -batch`. */
export { FakeTc } from "./fake.js";
export { RealTc, type TcNode } from "./node.js";
export { parseJsonSeq } from "./parse.js";
export { HOOK_PREF, TcTransaction, type TcOp } from "./transaction.js";
export * from "./types.js";
