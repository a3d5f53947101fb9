/**
 * Static addresses requested by pod annotations: podnet's own, and kube-ovn's and Calico's
 * equivalents so users can migrate manifests unchanged.
 *   podnet.io/ip_address, ovn.kubernetes.io/ip_address: "10.66.0.50" or "10.66.0.50,fd00:66::50"
 *   cni.projectcalico.org/ipAddrs: '["10.66.0.50"]' (a JSON list)
 *   podnet.io/mac_address, ovn.kubernetes.io/mac_address: "0a:58:0a:42:00:32"
 */
import type { Pod } from "./types.js";

/** IP_ANNOTATIONS are the annotations read for static IPs, in order of precedence. */
export const IP_ANNOTATIONS = ["podnet.io/ip_address", "ovn.kubernetes.io/ip_address", "cni.projectcalico.org/ipAddrs"] as const;
/** MAC_ANNOTATIONS are the annotations read for a static MAC. */
export const MAC_ANNOTATIONS = ["podnet.io/mac_address", "ovn.kubernetes.io/mac_address"] as const;

/** staticIPs lists the addresses a pod's annotations request (empty for a dynamic pod). */
export function staticIPs(pod: Pod): string[] {
  const a = pod.metadata.annotations ?? {};
  for (const key of IP_ANNOTATIONS) {
    const v = a[key];
    if (!v) continue;
    if (key === "cni.projectcalico.org/ipAddrs") {
      try {
        const list = JSON.parse(v) as unknown;
        return Array.isArray(list) ? list.map(String) : [String(list)];
      } catch {
        return [v];
      }
    }
    return v
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean);
  }
  return [];
}

/** staticMac is the MAC a pod's annotations request, if any. */
export function staticMac(pod: Pod): string | undefined {
  const a = pod.metadata.annotations ?? {};
  return MAC_ANNOTATIONS.map((k) => a[k]).find(Boolean);
}
