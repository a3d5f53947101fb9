/**
 * CNI spec types and errors (spec 1.1.0, with the result shapes of 0.3.x/0.4.0 for older configs).
 * Error codes are the spec's well-known ones.
 */
import { IpamError, type IPConfig, type IpamConf, type Route } from "../ipam/types.js";

/** SUPPORTED_VERSIONS are the config versions podnet-cni accepts. */
export const SUPPORTED_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;

/** CniCode is a well-known CNI error code. */
export const CniCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnv: 4,
  IOFailure: 5,
  DecodeFailure: 6,
  InvalidConfig: 7,
  TryAgainLater: 11,
  NotReady: 50,
  Internal: 999,
} as const;

/** CniError is a failure reported to the runtime as the spec's error JSON. */
export class CniError extends Error {
  constructor(
    readonly code: number,
    msg: string,
    readonly details = "",
  ) {
    super(msg);
    this.name = "CniError";
  }
  /** toJSON renders the spec's error object. */
  toJSON(cniVersion: string): Record<string, unknown> {
    return {
      cniVersion,
      code: this.code,
      msg: this.message,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

/** Route, IPConfig and the IPAM config types are IPAM's (a CNI network config embeds them). */
export type { IPConfig, IpamConf, IpamRange, IpamSubnet, Route } from "../ipam/types.js";

/** NetConf is a plugin's network configuration (the bridge plugin's keys). */
export interface NetConf {
  cniVersion: string;
  name: string;
  type: string;
  bridge?: string;
  isGateway?: boolean;
  isDefaultGateway?: boolean;
  ipMasq?: boolean;
  hairpinMode?: boolean;
  mtu?: number;
  ipam?: IpamConf;
  prevResult?: Result;
  dns?: Dns;
  /** agentSocket names the node agent's socket: read by the podnet-cni executable, not by the plugin. */
  agentSocket?: string;
  [k: string]: unknown;
}

const IPAM_CODES = { config: 7, io: 5, exhausted: 11, busy: 11 } as const;

/** asCniError turns any failure into the spec's error: IPAM's by its kind, others as internal (999). */
export function asCniError(e: unknown): CniError {
  if (e instanceof CniError) return e;
  if (e instanceof IpamError) return new CniError(IPAM_CODES[e.kind], e.message);
  return new CniError(CniCode.Internal, (e as Error).message);
}

/** Dns is the DNS section of a result. */
export interface Dns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** Interface is an interface in a result. */
export interface Interface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
}

/** Result is an ADD result in the 1.x shape. */
export interface Result {
  cniVersion: string;
  interfaces?: Interface[];
  ips?: IPConfig[];
  routes?: Route[];
  dns?: Dns;
}

/** formatResult renders a result in the shape of the requested version. */
export function formatResult(r: Result, version: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...r, cniVersion: version };
  if (version.startsWith("0.")) out.ips = (r.ips ?? []).map((ip) => ({ version: ip.address.includes(":") ? "6" : "4", ...ip }));
  return out;
}
