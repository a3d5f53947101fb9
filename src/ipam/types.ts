/**
 * IPAM's vocabulary: host-local's configuration keys (plus excludeIps and namespace-bound
 * subnets), the addresses an allocation yields, and IPAM's own error. The CNI plugin embeds the
 * config in its network config and maps IpamError to the spec's codes.
 */

/** Route is a route an IPAM result hands to the pod (CNI's shape). */
export interface Route {
  dst: string;
  gw?: string;
}

/** IPConfig is an allocated address with its gateway (CNI's 1.0 result shape). */
export interface IPConfig {
  address: string;
  gateway?: string;
  interface?: number;
}

/** IpamRange is one host-local range. */
export interface IpamRange {
  subnet: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
}

/** IpamConf is the `ipam` section: host-local's keys plus excludeIps. */
export interface IpamConf {
  type: string;
  subnet?: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
  ranges?: IpamRange[][];
  routes?: Route[];
  dataDir?: string;
  excludeIps?: string[];
  /** subnets are namespace-bound pools (podnet Subnets' blocks on this node), chosen by K8S_POD_NAMESPACE. */
  subnets?: IpamSubnet[];
  [k: string]: unknown;
}

/** IpamSubnet is one Subnet's ranges on this node and the namespaces it serves. */
export interface IpamSubnet {
  name: string;
  namespaces?: string[];
  /** default serves namespaces no subnet names. */
  default?: boolean;
  ranges: IpamRange[][];
  routes?: Route[];
  excludeIps?: string[];
}

/** IpamResult is what an allocation yields. */
export interface IpamResult {
  ips: IPConfig[];
  routes: Route[];
  /** reused is set when the container interface already held every address (a repeated ADD): undoing this ADD must not release them. */
  reused?: boolean;
}

/** IpamErrorKind says what went wrong: a bad config or request, the disk, a full pool, a lock not had in time. */
export type IpamErrorKind = "config" | "io" | "exhausted" | "busy";

/** IpamError is a failed IPAM operation: `failed to <verb> <thing> "<name>": <cause>` or the request's fault. */
export class IpamError extends Error {
  constructor(
    readonly kind: IpamErrorKind,
    msg: string,
    options?: { cause?: unknown },
  ) {
    super(msg, options);
    this.name = "IpamError";
  }
}
