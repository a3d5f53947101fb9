/** ClusterConfig holds the cluster-wide network settings; the defaults are Kubernetes' (see SYSTEM.md). */

/** ClusterConfig is the network layout of a cluster. */
export interface ClusterConfig {
  /** clusterCIDRs are the pod networks, one per family (IPv4 first). */
  clusterCIDRs: string[];
  /** nodeMaskSizes are the per-node pod CIDR prefix lengths, matching clusterCIDRs. */
  nodeMaskSizes: number[];
  /** serviceCIDRs are the ClusterIP ranges, one per family. */
  serviceCIDRs: string[];
  nodePortRange: { min: number; max: number };
  /** loadBalancerPool is where LoadBalancer ingress IPs come from (the lab's underlay); none leaves them pending. */
  loadBalancerPool?: string;
}

/** DEFAULT_CLUSTER is the default single-stack IPv4 layout. */
export const DEFAULT_CLUSTER: ClusterConfig = {
  clusterCIDRs: ["10.244.0.0/16"],
  nodeMaskSizes: [24],
  serviceCIDRs: ["10.96.0.0/12"],
  nodePortRange: { min: 30000, max: 32767 },
};

/** DUAL_STACK_CLUSTER adds the default IPv6 pod and service ranges. */
export const DUAL_STACK_CLUSTER: ClusterConfig = {
  clusterCIDRs: ["10.244.0.0/16", "fd00:10:244::/56"],
  nodeMaskSizes: [24, 64],
  serviceCIDRs: ["10.96.0.0/12", "fd00:10:96::/112"],
  nodePortRange: { min: 30000, max: 32767 },
};
