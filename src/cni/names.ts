/** Deterministic names for what the plugin creates, so DEL finds it even when the netns is gone. */
import { createHash } from "node:crypto";
import { CniCode, CniError, type Dns } from "./types.js";

function digest(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex");
}

/** HOST_VETH matches the names hostVethName gives. */
export const HOST_VETH = /^pn[0-9a-f]{11}$/;

/** hostVethName is the host end of a pod's veth: "pn" + 11 hex digits of (container, ifname). */
export function hostVethName(containerId: string, ifname: string): string {
  return `pn${digest(containerId, ifname).slice(0, 11)}`;
}

/** masqChainName is the per-attachment masquerade chain, as the bridge plugin's CNI-… chains. */
export function masqChainName(network: string, containerId: string, ifname: string): string {
  return `PN-MASQ-${digest(network, containerId, ifname).slice(0, 16).toUpperCase()}`;
}

/** randomMac is a locally administered unicast MAC address. */
export { randomMac } from "../util/mac.js";

/** checkContainerId refuses IDs outside the spec's character set (they reach rule comments). */
export function checkContainerId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id)) throw new CniError(CniCode.InvalidEnv, `invalid CNI_CONTAINERID "${id}"`);
}

/** checkLinkName refuses interface names the kernel would reject or that could be read as options. */
export function checkLinkName(what: string, name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/.test(name)) throw new CniError(CniCode.InvalidConfig, `invalid ${what} "${name}"`);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * podAlias is what the host end of a pod's veth is described as (`ifalias`): "namespace/name"
 * from the runtime's K8S_POD_NAMESPACE and K8S_POD_NAME, so node agents (QoS, mirroring) find a
 * pod's interface. None when the runtime sent no pod identity or one that is not a valid name.
 */
export function podAlias(args: Record<string, string>): string | undefined {
  const ns = args.K8S_POD_NAMESPACE;
  const name = args.K8S_POD_NAME;
  if (!ns || !name || !DNS_LABEL.test(ns) || !DNS_SUBDOMAIN.test(name)) return undefined;
  const alias = `${ns}/${name}`;
  return alias.length <= 255 ? alias : undefined;
}

/**
 * podDns is the DNS a result reports for a pod: the network's, with the pod namespace's own search
 * domain in front when the first one is the cluster's "svc.<domain>" (a kubelet's search path,
 * `<ns>.svc.<domain> svc.<domain> <domain>`, for runtimes such as podman that write resolv.conf
 * from the CNI result).
 */
export function podDns(dns: Dns | undefined, args: Record<string, string>): Dns {
  const ns = args.K8S_POD_NAMESPACE;
  const [first, ...rest] = dns?.search ?? [];
  if (!dns || !first?.startsWith("svc.") || !ns || !DNS_LABEL.test(ns)) return dns ?? {};
  return { ...dns, search: [`${ns}.${first}`, first, ...rest] };
}
