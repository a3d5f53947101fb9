/**
 * The lab's control plane: what the API server, kube-controller-manager and the scheduler do, as
 * pure functions over a store transaction.
 */
import type { Txn } from "../store/types.js";
import type { ClusterConfig } from "./config.js";
import { reconcileDeployments } from "./deployment.js";
import { reconcileLoadBalancers } from "./loadbalancer.js";
import { allocateNodeCIDRs } from "./nodeipam.js";
import { schedulePods } from "./scheduler.js";
import { reconcileSubnets } from "./subnets.js";

export { type AdmitAction, admit, admitWithAction } from "./admission.js";
export * from "./config.js";
export { templateHash, updateDeploymentStatus } from "./deployment.js";
export { desiredSlices, reconcileEndpointSlices, resolveTargetPort, SERVICE_NAME_LABEL } from "./endpointslice.js";
export { AdmissionError } from "./errors.js";
export { nodeReady } from "./scheduler.js";

export { reconcileLoadBalancers } from "./loadbalancer.js";
export { gatewayNodes, reconcileSubnets, subnetForNamespace } from "./subnets.js";

/** runControllers allocates node CIDRs and load-balancer IPs, reconciles deployments into pods, schedules them and gives Subnet blocks to their nodes. */
export function runControllers(tx: Txn, cfg: ClusterConfig): void {
  allocateNodeCIDRs(tx, cfg);
  reconcileLoadBalancers(tx, cfg);
  reconcileDeployments(tx);
  schedulePods(tx);
  reconcileSubnets(tx);
}
