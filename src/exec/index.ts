/** The exec module: the single place podnet runs commands. */

export { type FakeReply, type RecordedCall, RecordingExecutor } from "./fake.js";
export { RealExecutor } from "./real.js";
export * from "./types.js";
export { startEarly } from "./early.js";
