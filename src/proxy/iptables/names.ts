/**
 * kube-proxy's chain names, so runbooks that grep for KUBE-SVC-… keep working: the first 16
 * characters of the base32 (RFC 4648) encoding of SHA-256 over the service port name and the
 * lower-case protocol (endpoint chains add `ip:port`).
 */
import { codes, hashName } from "../../util/hashname.js";

const SVC = codes("KUBE-SVC-");
const SEP = codes("KUBE-SEP-");

/** ServiceChains are the per-service-port chain names. */
export interface ServiceChains {
  svc: string;
  svl: string;
  ext: string;
  fw: string;
}

/** serviceChains returns the KUBE-SVC/SVL/EXT/FW names of a service port. */
export function serviceChains(servicePortName: string, protocol: string): ServiceChains {
  const svc = hashName(SVC, servicePortName + protocol.toLowerCase());
  const h = svc.slice(SVC.length);
  return { svc, svl: `KUBE-SVL-${h}`, ext: `KUBE-EXT-${h}`, fw: `KUBE-FW-${h}` };
}

/** endpointChain returns the KUBE-SEP name of one endpoint (`ip:port`) of a service port. */
export function endpointChain(servicePortName: string, protocol: string, endpoint: string): string {
  return hashName(SEP, servicePortName + protocol.toLowerCase() + endpoint);
}

/** SERVICE_CHAIN_PREFIXES are the prefixes of chains that belong to one service port. */
export const SERVICE_CHAIN_PREFIXES = ["KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-", "KUBE-SEP-"];

/** isServiceChain tells whether a chain name is one of ours per service port. */
export function isServiceChain(name: string): boolean {
  return SERVICE_CHAIN_PREFIXES.some((p) => name.startsWith(p));
}
