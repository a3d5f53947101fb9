/** Validation of Deployment, EndpointSlice, NetworkPolicy and Node specs. */
import { cidrContains, formatIP, isCIDR, isIP, parseCIDR } from "../../util/ip.js";
import { matchesSelector } from "../selector.js";
import type { LabelSelector } from "../types.js";
import { checkEnum, type Errors, isObj, isPort, PROTOCOLS } from "./errors.js";
import { checkLabelSelector, checkPodSpec } from "./pod.js";

/** checkDeploymentSpec validates replicas, selector and template of a Deployment. */
export function checkDeploymentSpec(errs: Errors, spec: unknown): void {
  if (!isObj(spec)) return errs.add("spec", "Required value");
  if (spec.replicas !== undefined && !(Number.isInteger(spec.replicas) && (spec.replicas as number) >= 0))
    errs.add("spec.replicas", `Invalid value: ${JSON.stringify(spec.replicas)}: must be a non-negative integer`);
  const before = errs.list.length;
  checkLabelSelector(errs, "spec.selector", spec.selector, true);
  const sel = spec.selector as LabelSelector | undefined;
  if (isObj(sel) && !sel.matchLabels && !sel.matchExpressions)
    errs.add("spec.selector", "Invalid value: empty selector is invalid for deployment");
  const tpl = spec.template;
  if (!isObj(tpl)) return errs.add("spec.template", "Required value");
  const labels = isObj(tpl.metadata) ? (tpl.metadata.labels as Record<string, string> | undefined) : undefined;
  if (errs.list.length === before && sel && !matchesSelector(sel, labels))
    errs.add("spec.template.metadata.labels", "Invalid value: `selector` does not match template `labels`");
  checkPodSpec(errs, "spec.template.spec", tpl.spec);
}

/** checkEndpointSlice validates the address type, endpoints and ports of an EndpointSlice. */
export function checkEndpointSlice(errs: Errors, obj: Record<string, unknown>): void {
  checkEnum(errs, "addressType", obj.addressType, ["IPv4", "IPv6", "FQDN"]);
  if (obj.addressType === undefined) errs.add("addressType", "Required value");
  const eps = obj.endpoints ?? [];
  if (!Array.isArray(eps)) return errs.add("endpoints", "must be a list");
  eps.forEach((e, i) => {
    const addrs = isObj(e) ? e.addresses : undefined;
    if (!Array.isArray(addrs) || addrs.length === 0) return errs.add(`endpoints[${i}].addresses`, "Required value");
    addrs.forEach((a, j) => {
      if (obj.addressType !== "FQDN" && !isIP(a))
        errs.add(`endpoints[${i}].addresses[${j}]`, `Invalid value: ${JSON.stringify(a)}: must be a valid IP address`);
    });
  });
  const ports = obj.ports ?? [];
  if (!Array.isArray(ports)) return errs.add("ports", "must be a list");
  ports.forEach((p, i) => {
    if (!isObj(p)) return errs.add(`ports[${i}]`, "must be an object");
    if (p.port !== undefined && !isPort(p.port))
      errs.add(`ports[${i}].port`, `Invalid value: ${JSON.stringify(p.port)}: must be between 1 and 65535`);
    checkEnum(errs, `ports[${i}].protocol`, p.protocol, PROTOCOLS);
  });
}

/** checkNetworkPolicySpec validates a NetworkPolicy's selectors, peers and ports. */
export function checkNetworkPolicySpec(errs: Errors, spec: unknown): void {
  if (!isObj(spec)) return errs.add("spec", "Required value");
  checkLabelSelector(errs, "spec.podSelector", spec.podSelector, true);
  if (Array.isArray(spec.policyTypes))
    spec.policyTypes.forEach((t, i) => checkEnum(errs, `spec.policyTypes[${i}]`, t, ["Ingress", "Egress"]));
  for (const dir of ["ingress", "egress"] as const) {
    const rules = spec[dir];
    if (rules === undefined) continue;
    if (!Array.isArray(rules)) {
      errs.add(`spec.${dir}`, "must be a list");
      continue;
    }
    rules.forEach((r, i) => checkPolicyRule(errs, `spec.${dir}[${i}]`, r, dir === "ingress" ? "from" : "to"));
  }
}

function checkPolicyRule(errs: Errors, at: string, r: unknown, peersKey: "from" | "to"): void {
  if (!isObj(r)) return errs.add(at, "must be an object");
  const peers = r[peersKey] ?? [];
  if (Array.isArray(peers))
    peers.forEach((p, j) => {
      const pat = `${at}.${peersKey}[${j}]`;
      if (!isObj(p)) return errs.add(pat, "must be an object");
      if (p.podSelector === undefined && p.namespaceSelector === undefined && p.ipBlock === undefined)
        return errs.add(pat, "Required value: must specify a peer");
      if (p.podSelector !== undefined) checkLabelSelector(errs, `${pat}.podSelector`, p.podSelector, false);
      if (p.namespaceSelector !== undefined) checkLabelSelector(errs, `${pat}.namespaceSelector`, p.namespaceSelector, false);
      if (p.ipBlock !== undefined) {
        const b = isObj(p.ipBlock) ? p.ipBlock : {};
        if (!isCIDR(b.cidr)) errs.add(`${pat}.ipBlock.cidr`, `Invalid value: ${JSON.stringify(b.cidr)}: must be a valid CIDR`);
        if (Array.isArray(b.except))
          b.except.forEach((c, k) => {
            const at = `${pat}.ipBlock.except[${k}]`;
            if (!isCIDR(c)) errs.add(at, `Invalid value: ${JSON.stringify(c)}: must be a valid CIDR`);
            else if (isCIDR(b.cidr) && !strictSubset(c, b.cidr))
              errs.add(at, `Invalid value: ${JSON.stringify(c)}: must be a strict subset of \`cidr\``);
          });
        if (p.podSelector !== undefined || p.namespaceSelector !== undefined)
          errs.add(pat, "Forbidden: may not specify more than 1 peer type with ipBlock");
      }
    });
  const ports = r.ports ?? [];
  if (Array.isArray(ports))
    ports.forEach((p, j) => {
      if (!isObj(p)) return;
      const pat = `${at}.ports[${j}]`;
      checkEnum(errs, `${pat}.protocol`, p.protocol, PROTOCOLS);
      if (typeof p.port === "number" && !isPort(p.port)) errs.add(`${pat}.port`, `Invalid value: ${p.port}: must be between 1 and 65535`);
      if (typeof p.port === "string" && !PORT_NAME.test(p.port))
        errs.add(
          `${pat}.port`,
          `Invalid value: ${JSON.stringify(p.port)}: must be a port number or an IANA service name (at most 15 lower-case letters, digits and '-', with a letter)`,
        );
      if (p.port !== undefined && typeof p.port !== "number" && typeof p.port !== "string")
        errs.add(`${pat}.port`, `Invalid value: ${JSON.stringify(p.port)}: must be a number or a name`);
      if (p.endPort !== undefined) {
        if (typeof p.port !== "number") errs.add(`${pat}.endPort`, "Invalid value: may not be specified without a numeric port");
        else if (!isPort(p.endPort) || (p.endPort as number) < p.port)
          errs.add(`${pat}.endPort`, `Invalid value: ${JSON.stringify(p.endPort)}: must be a port greater than or equal to \`port\``);
      }
    });
}

const PORT_NAME = /^(?=.*[a-z])(?!.*--)[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;

function strictSubset(inner: string, outer: string): boolean {
  const i = parseCIDR(inner);
  const o = parseCIDR(outer);
  return !!i && !!o && i.family === o.family && i.prefix > o.prefix && cidrContains(o, formatIP(i.family, i.base));
}

/** checkNodeSpec validates the pod CIDRs of a Node. */
export function checkNodeSpec(errs: Errors, spec: unknown): void {
  if (spec === undefined) return;
  if (!isObj(spec)) return errs.add("spec", "must be an object");
  if (spec.podCIDR !== undefined && !isCIDR(spec.podCIDR))
    errs.add("spec.podCIDR", `Invalid value: ${JSON.stringify(spec.podCIDR)}: must be a valid CIDR`);
  if (Array.isArray(spec.podCIDRs))
    spec.podCIDRs.forEach((c, i) => {
      if (!isCIDR(c)) errs.add(`spec.podCIDRs[${i}]`, `Invalid value: ${JSON.stringify(c)}: must be a valid CIDR`);
    });
}
