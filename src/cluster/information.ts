/**
 * ClusterInformation "default" (podnet.io/v1): the cluster's identity and network layout in the
 * datastore, as Calico's ClusterInformation marks a datastore as its cluster's. The controller
 * reads its ClusterConfig from it; a datastore without it (emptied, or a fresh etcd at the same
 * endpoints) is not a cluster to act on.
 */
import type { KubeObject } from "../model/types.js";
import { CLUSTER_IDENTITY, identityProblem } from "../store/informer.js";
import type { Txn } from "../store/types.js";
import type { ClusterConfig } from "./config.js";

/** ClusterInformation is the identity record; datastoreReady false holds every daemon and controller off it. */
export interface ClusterInformation extends KubeObject {
  spec: ClusterConfig & { clusterGUID: string; datastoreReady?: boolean };
}

/** CLUSTER_INFORMATION is the record's key. */
export const CLUSTER_INFORMATION = CLUSTER_IDENTITY;

/** clusterInformation makes the record for a layout. */
export function clusterInformation(cfg: ClusterConfig, clusterGUID: string): ClusterInformation {
  return {
    apiVersion: "podnet.io/v1",
    kind: "ClusterInformation",
    metadata: { name: "default" },
    spec: { ...cfg, clusterGUID, datastoreReady: true },
  };
}

/** clusterConfigOf reads the layout from the record; it throws when the record is missing or malformed. */
export function clusterConfigOf(tx: Txn): ClusterConfig {
  const ci = tx.get<ClusterInformation>(CLUSTER_INFORMATION);
  const why = identityProblem(ci);
  if (!ci || why) throw new Error(`failed to read the cluster's layout: ${why}; doing nothing`);
  const s = ci.spec;
  const strings = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string");
  if (!strings(s?.clusterCIDRs) || !strings(s.serviceCIDRs) || !Array.isArray(s.nodeMaskSizes) || typeof s.nodePortRange?.min !== "number")
    throw new Error(`failed to read ClusterInformation "default": spec needs clusterCIDRs, nodeMaskSizes, serviceCIDRs and nodePortRange`);
  return {
    clusterCIDRs: s.clusterCIDRs,
    nodeMaskSizes: s.nodeMaskSizes,
    serviceCIDRs: s.serviceCIDRs,
    nodePortRange: s.nodePortRange,
    ...(s.loadBalancerPool ? { loadBalancerPool: s.loadBalancerPool } : {}),
  };
}
