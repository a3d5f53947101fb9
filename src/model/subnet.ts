/** Reading a Subnet's spec: kube-ovn's comma-separated fields. */
import type { Subnet } from "./types.js";

/** subnetCidrs splits kube-ovn's "v4,v6" cidrBlock. */
export function subnetCidrs(s: Subnet): string[] {
  return s.spec.cidrBlock
    .split(",")
    .map((c) => c.trim())
    .filter(Boolean);
}
