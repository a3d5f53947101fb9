/**
 * kube-proxy's nftables names: a service port's chains are `<prefix><HASH>-<ns>/<name>/<proto>/<port>`
 * and an endpoint's `endpoint-<HASH>-<ns>/<name>/<proto>/<port>__<ip>/<port>` (an IPv6 address with
 * dots for colons), where HASH is the first 8 base32 characters of SHA-256 over the rest; names
 * past 240 characters are cut and end in "...". Every per-service name holds a "/", no stock name does.
 */
import { codes, hashName } from "../../util/hashname.js";

const NO_PREFIX = codes("");
/** BASE_MAX is the longest name base (nft's 256 minus kube-proxy's 16 for the prefix). */
const BASE_MAX = 240;

function hashAndTruncate(name: string): string {
  const base = `${hashName(NO_PREFIX, name).slice(0, 8)}-${name}`;
  return base.length > BASE_MAX ? `${base.slice(0, BASE_MAX - 3)}...` : base;
}

/** portBase is `ns/name/proto/port` from kube-proxy's `ns/name:port` service port name. */
function portBase(servicePortName: string, protocol: string): string {
  const [nsName = "", port = ""] = servicePortName.split(":");
  return `${nsName}/${protocol.toLowerCase()}/${port}`;
}

/** NftServiceChains are a service port's chain names. */
export interface NftServiceChains {
  cluster: string;
  local: string;
  external: string;
  firewall: string;
}

/** nftServiceChains returns the service-, local-, external- and firewall- chains of a service port. */
export function nftServiceChains(servicePortName: string, protocol: string): NftServiceChains {
  const base = hashAndTruncate(portBase(servicePortName, protocol));
  return { cluster: `service-${base}`, local: `local-${base}`, external: `external-${base}`, firewall: `firewall-${base}` };
}

/** nftEndpointNames returns an endpoint's chain and affinity set (`ip:port` or `[ip6]:port`). */
export function nftEndpointNames(servicePortName: string, protocol: string, hostPort: string): { chain: string; affinity: string } {
  const i = hostPort.lastIndexOf(":");
  const ip = hostPort
    .slice(0, i)
    .replace(/^\[|\]$/g, "")
    .replaceAll(":", ".");
  const base = hashAndTruncate(`${portBase(servicePortName, protocol)}__${ip}/${hostPort.slice(i + 1)}`);
  return { chain: `endpoint-${base}`, affinity: `affinity-${base}` };
}

/** isNftServiceChain tells a per-service chain from a stock one. */
export function isNftServiceChain(name: string): boolean {
  return name.includes("/");
}

/** isAffinitySet tells an affinity set by its name. */
export function isAffinitySet(name: string): boolean {
  return name.startsWith("affinity-");
}
