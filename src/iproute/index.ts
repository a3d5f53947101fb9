/** iproute: links, addresses, routes, rules, neighbours and FDB entries as data, applied as `ip`/`bridge` batches. */

export { FakeIpNode } from "./fake.js";
export { createNetns, deleteNetns, listNetns, pidsInNetns } from "./netns.js";
export { IP_JSON_BATCH, type IpNode, type LinkState, parseShown, RealIpNode, type RouteQuery, startBatch } from "./node.js";
export { type Batch, renderBatches, renderOp, renderText, routeSpec, type Tool } from "./render.js";
export { IpTransaction } from "./transaction.js";
export * from "./types.js";
