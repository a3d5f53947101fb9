/** dataplane: the shape every data plane shares — node transactions, the node kernel (real and fake), the reconcile engine. */

export { awaitConverged, type Changes, type DataPlane, reconcile, ReconcileError, unconverged } from "./engine.js";
export { FakeNodeKernel } from "./fake.js";
export { applyParts, type NodeKernel, RealNodeKernel } from "./kernel.js";
export { NodeTransaction, renderSections, type Section } from "./transaction.js";
