/**
 * Kubernetes-shaped objects podnet reads and stores. Only the fields podnet acts on are typed;
 * everything else in a manifest is kept as it came (index signatures), so `get -o yaml` round-trips.
 */

/** ObjectMeta is the metadata every object carries. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  [k: string]: unknown;
}

/** KubeObject is any object with apiVersion, kind and metadata. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [k: string]: unknown;
}

/** LabelSelectorRequirement is one matchExpressions entry. */
export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

/** LabelSelector selects objects by labels. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** Protocol is a transport protocol Kubernetes knows. */
export type Protocol = "TCP" | "UDP" | "SCTP";

/** ContainerPort is a port a container declares. */
export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: Protocol;
  hostPort?: number;
  hostIP?: string;
}

/** Container is the part of a container podnet uses: its name and ports. */
export interface Container {
  name: string;
  image?: string;
  args?: string[];
  ports?: ContainerPort[];
  [k: string]: unknown;
}

/** PodSpec is the part of a pod spec podnet uses. */
export interface PodSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  hostNetwork?: boolean;
  /** hostname and subdomain give the pod a DNS name under a headless Service named like the subdomain. */
  hostname?: string;
  subdomain?: string;
  /** dnsPolicy: ClusterFirst (the default) resolves through the cluster DNS; Default uses the node's resolver. */
  dnsPolicy?: "ClusterFirst" | "ClusterFirstWithHostNet" | "Default" | "None";
  containers: Container[];
  [k: string]: unknown;
}

/** PodStatus is what the lab's kubelet reports. */
export interface PodStatus {
  phase?: "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";
  podIP?: string;
  podIPs?: { ip: string }[];
  hostIP?: string;
  conditions?: { type: string; status: "True" | "False" | "Unknown"; reason?: string; message?: string; lastTransitionTime?: string }[];
  message?: string;
  [k: string]: unknown;
}

/** Pod is a v1 Pod. */
export interface Pod extends KubeObject {
  kind: "Pod";
  spec: PodSpec;
  status?: PodStatus;
}

/** PodTemplate is a Deployment's pod template. */
export interface PodTemplate {
  metadata?: Partial<ObjectMeta>;
  spec: PodSpec;
}

/** Deployment is an apps/v1 Deployment. */
export interface Deployment extends KubeObject {
  kind: "Deployment";
  spec: { replicas?: number; selector: LabelSelector; template: PodTemplate; [k: string]: unknown };
}

/** ServicePort is one port of a Service. */
export interface ServicePort {
  name?: string;
  protocol?: Protocol;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  appProtocol?: string;
}

/** ServiceSpec is a Service's spec. */
export interface ServiceSpec {
  type?: "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName";
  selector?: Record<string, string>;
  ports?: ServicePort[];
  clusterIP?: string;
  clusterIPs?: string[];
  externalIPs?: string[];
  loadBalancerIP?: string;
  loadBalancerSourceRanges?: string[];
  sessionAffinity?: "None" | "ClientIP";
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
  externalTrafficPolicy?: "Cluster" | "Local";
  internalTrafficPolicy?: "Cluster" | "Local";
  healthCheckNodePort?: number;
  ipFamilies?: ("IPv4" | "IPv6")[];
  ipFamilyPolicy?: "SingleStack" | "PreferDualStack" | "RequireDualStack";
  externalName?: string;
  publishNotReadyAddresses?: boolean;
  trafficDistribution?: string;
  [k: string]: unknown;
}

/** Service is a v1 Service. */
export interface Service extends KubeObject {
  kind: "Service";
  spec: ServiceSpec;
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string; ipMode?: "VIP" | "Proxy" }[] } };
}

/** Endpoint is one endpoint of an EndpointSlice. */
export interface Endpoint {
  addresses: string[];
  /** hostname is the pod's spec.hostname when its spec.subdomain names the Service. */
  hostname?: string;
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  nodeName?: string;
  zone?: string;
  hints?: { forZones?: { name: string }[]; forNodes?: { name: string }[] };
  targetRef?: { kind: string; namespace?: string; name: string; uid?: string };
}

/** EndpointSlice is a discovery.k8s.io/v1 EndpointSlice. */
export interface EndpointSlice extends KubeObject {
  kind: "EndpointSlice";
  addressType: "IPv4" | "IPv6" | "FQDN";
  endpoints: Endpoint[];
  ports?: { name?: string; protocol?: Protocol; port?: number; appProtocol?: string }[];
}

/** Node is a v1 Node. */
export interface Node extends KubeObject {
  kind: "Node";
  spec: { podCIDR?: string; podCIDRs?: string[]; [k: string]: unknown };
  status?: { addresses?: { type: string; address: string }[]; conditions?: unknown[]; [k: string]: unknown };
}

/** Namespace is a v1 Namespace. */
export interface Namespace extends KubeObject {
  kind: "Namespace";
}

/** NetworkPolicy is a networking.k8s.io/v1 NetworkPolicy (enforced by the policy engine, a later part). */
export interface NetworkPolicy extends KubeObject {
  kind: "NetworkPolicy";
  spec: {
    podSelector: LabelSelector;
    policyTypes?: ("Ingress" | "Egress")[];
    ingress?: unknown[];
    egress?: unknown[];
  };
}

/** SubnetBlock is a piece of a Subnet handed to one node (Calico's block affinity): pods there draw from it. */
export interface SubnetBlock {
  cidr: string;
  node: string;
}

/**
 * Subnet is podnet.io/v1 Subnet, after kube-ovn's: an address range bound to namespaces, with its
 * egress behaviour. Cluster-scoped. The controller splits it into per-node blocks (status.blocks),
 * so allocation on different nodes can never hand out the same address.
 */
export interface Subnet extends KubeObject {
  kind: "Subnet";
  spec: {
    /** cidrBlock is one CIDR, or an IPv4 and an IPv6 CIDR separated by a comma (kube-ovn's format). */
    cidrBlock: string;
    /** gateway is reserved; it becomes the pods' gateway in the block that contains it. */
    gateway?: string;
    /** excludeIps are addresses and `a..b` ranges never handed out. */
    excludeIps?: string[];
    namespaces?: string[];
    /** private admits traffic to the subnet's pods only from the subnet, allowSubnets and the nodes (kube-ovn's isolation). */
    private?: boolean;
    /** allowSubnets are CIDRs a private subnet also admits. */
    allowSubnets?: string[];
    /** natOutgoing SNATs egress to the node (or gateway node) IP; false exposes pod IPs (default true). */
    natOutgoing?: boolean;
    /** default makes this the subnet of namespaces no other subnet names. */
    default?: boolean;
    gatewayType?: "distributed" | "centralized";
    /** gatewayNode lists the centralized gateway nodes in order of preference: "nodeA,nodeB". */
    gatewayNode?: string;
    /** blockSize is the prefix length of per-node IPv4 blocks (default 26; IPv6 blocks are /122). */
    blockSize?: number;
  };
  status?: { blocks?: SubnetBlock[]; activeGateway?: string; [k: string]: unknown };
}
