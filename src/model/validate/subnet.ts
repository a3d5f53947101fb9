/** Validation of podnet.io/v1 Subnet specs (kube-ovn's fields). */
import { cidrContains, parseCIDR, parseIP } from "../../util/ip.js";
import { dnsLabelError, dnsSubdomainError } from "../names.js";
import { checkEnum, type Errors, isObj } from "./errors.js";

function checkExclude(errs: Errors, field: string, e: unknown): void {
  if (typeof e !== "string") return errs.add(field, "must be a string");
  const [a, b, extra] = e.split("..");
  const lo = parseIP(a ?? "");
  const hi = parseIP(b ?? a ?? "");
  if (parseCIDR(e) || (extra === undefined && lo && hi && lo.family === hi.family && lo.value <= hi.value)) return;
  errs.add(field, `Invalid value: ${JSON.stringify(e)}: must be an IP, a CIDR or a range "first..last"`);
}

function checkCidrBlock(errs: Errors, v: unknown): string[] {
  if (typeof v !== "string" || v.trim() === "") {
    errs.add("spec.cidrBlock", "Required value");
    return [];
  }
  const parts = v.split(",").map((c) => c.trim());
  const parsed = parts.map((c) => parseCIDR(c, true));
  if (parts.length > 2 || parsed.some((c) => !c))
    errs.add("spec.cidrBlock", `Invalid value: ${JSON.stringify(v)}: must be one CIDR or "IPv4 CIDR,IPv6 CIDR" (network addresses)`);
  else if (parsed.length === 2 && parsed[0]?.family === parsed[1]?.family)
    errs.add("spec.cidrBlock", `Invalid value: ${JSON.stringify(v)}: two CIDRs must be one IPv4 and one IPv6`);
  return parts;
}

/** checkSubnetSpec validates a Subnet's ranges, gateway, exclusions, namespaces, isolation and gateway settings. */
export function checkSubnetSpec(errs: Errors, spec: unknown): void {
  if (!isObj(spec)) return errs.add("spec", "Required value");
  const cidrs = checkCidrBlock(errs, spec.cidrBlock);
  if (spec.gateway !== undefined) {
    const gw = spec.gateway;
    if (typeof gw !== "string" || !parseIP(gw)) errs.add("spec.gateway", `Invalid value: ${JSON.stringify(gw)}: must be an IP address`);
    else if (!cidrs.some((c) => parseCIDR(c) && cidrContains(parseCIDR(c)!, gw)))
      errs.add("spec.gateway", `Invalid value: "${gw}": must be inside cidrBlock ${cidrs.join(",")}`);
  }
  if (spec.excludeIps !== undefined) {
    if (!Array.isArray(spec.excludeIps)) errs.add("spec.excludeIps", "must be a list");
    else spec.excludeIps.forEach((e, i) => checkExclude(errs, `spec.excludeIps[${i}]`, e));
  }
  if (spec.namespaces !== undefined) {
    if (!Array.isArray(spec.namespaces)) errs.add("spec.namespaces", "must be a list");
    else
      spec.namespaces.forEach((n, i) => {
        const why = typeof n === "string" ? dnsLabelError(n) : "must be a string";
        if (why) errs.add(`spec.namespaces[${i}]`, `Invalid value: ${JSON.stringify(n)}: ${why}`);
      });
  }
  if (spec.allowSubnets !== undefined) {
    if (!Array.isArray(spec.allowSubnets)) errs.add("spec.allowSubnets", "must be a list");
    else
      spec.allowSubnets.forEach((c, i) => {
        if (typeof c !== "string" || !parseCIDR(c))
          errs.add(`spec.allowSubnets[${i}]`, `Invalid value: ${JSON.stringify(c)}: must be a valid CIDR`);
      });
  }
  for (const f of ["natOutgoing", "default", "private"] as const)
    if (spec[f] !== undefined && typeof spec[f] !== "boolean")
      errs.add(`spec.${f}`, `Invalid value: ${JSON.stringify(spec[f])}: must be true or false`);
  checkEnum(errs, "spec.gatewayType", spec.gatewayType, ["distributed", "centralized"]);
  const gws =
    typeof spec.gatewayNode === "string"
      ? spec.gatewayNode
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
  if (spec.gatewayNode !== undefined && typeof spec.gatewayNode !== "string") errs.add("spec.gatewayNode", "must be a string");
  for (const g of gws) {
    const why = dnsSubdomainError(g);
    if (why) errs.add("spec.gatewayNode", `Invalid value: ${JSON.stringify(g)}: ${why}`);
  }
  if (spec.gatewayType === "centralized" && gws.length === 0)
    errs.add("spec.gatewayNode", 'Required value: a centralized subnet needs gateway nodes ("nodeA,nodeB")');
  if (spec.blockSize !== undefined) {
    const v4 = cidrs.map((c) => parseCIDR(c)).find((c) => c?.family === 4);
    const b = spec.blockSize;
    if (!Number.isInteger(b) || (b as number) > 30 || (b as number) < (v4?.prefix ?? 0))
      errs.add(
        "spec.blockSize",
        `Invalid value: ${JSON.stringify(b)}: must be an IPv4 prefix length between the subnet's (${v4?.prefix ?? "?"}) and 30`,
      );
  }
}
