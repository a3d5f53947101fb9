/** Validation of pod specs (Pods and Deployment templates) and label selectors. */
import { isIP } from "../../util/ip.js";
import { dnsLabelError, dnsSubdomainError, labelKeyError, labelValueError, portNameError } from "../names.js";
import { checkEnum, checkStringMap, type Errors, isObj, isPort, PROTOCOLS } from "./errors.js";

/** checkPodSpec validates the containers and ports of a pod spec found at `at`. */
export function checkPodSpec(errs: Errors, at: string, spec: unknown): void {
  if (!isObj(spec)) return errs.add(at, "Required value");
  if (spec.nodeName !== undefined && (typeof spec.nodeName !== "string" || dnsSubdomainError(spec.nodeName)))
    errs.add(`${at}.nodeName`, `Invalid value: ${JSON.stringify(spec.nodeName)}: must be a node name`);
  checkStringMap(errs, `${at}.nodeSelector`, spec.nodeSelector, labelKeyError, labelValueError);
  for (const f of ["hostname", "subdomain"] as const) {
    const v = spec[f];
    if (v !== undefined && (typeof v !== "string" || dnsLabelError(v)))
      errs.add(`${at}.${f}`, `Invalid value: ${JSON.stringify(v)}: ${dnsLabelError(String(v ?? ""))}`);
  }
  checkEnum(errs, `${at}.dnsPolicy`, spec.dnsPolicy, ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]);
  const cs = spec.containers;
  if (!Array.isArray(cs) || cs.length === 0) return errs.add(`${at}.containers`, "Required value: at least one container");
  const names = new Set<string>();
  const hostPorts = new Set<string>();
  cs.forEach((c, i) => {
    const cat = `${at}.containers[${i}]`;
    if (!isObj(c)) return errs.add(cat, "must be an object");
    if (typeof c.name !== "string" || dnsLabelError(c.name))
      errs.add(`${cat}.name`, `Invalid value: ${JSON.stringify(c.name)}: ${dnsLabelError(String(c.name ?? ""))}`);
    else if (names.has(c.name)) errs.add(`${cat}.name`, `Duplicate value: "${c.name}"`);
    else names.add(c.name);
    if (c.args !== undefined && !(Array.isArray(c.args) && c.args.every((a) => typeof a === "string")))
      errs.add(`${cat}.args`, "Invalid value: must be a list of strings");
    checkContainerPorts(errs, `${cat}.ports`, c.ports, hostPorts);
  });
}

function checkContainerPorts(errs: Errors, at: string, ports: unknown, hostPorts: Set<string>): void {
  if (ports === undefined) return;
  if (!Array.isArray(ports)) return errs.add(at, "must be a list");
  const seen = new Set<string>();
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const pat = `${at}[${i}]`;
    if (!isObj(p)) return errs.add(pat, "must be an object");
    if (!isPort(p.containerPort))
      errs.add(`${pat}.containerPort`, `Invalid value: ${JSON.stringify(p.containerPort)}: must be between 1 and 65535`);
    checkEnum(errs, `${pat}.protocol`, p.protocol, PROTOCOLS);
    const key = `${p.containerPort}/${p.protocol ?? "TCP"}`;
    if (seen.has(key)) errs.add(pat, `Duplicate value: ${key}`);
    seen.add(key);
    if (p.name !== undefined) {
      const e = typeof p.name === "string" ? portNameError(p.name) : "must be a string";
      if (e) errs.add(`${pat}.name`, `Invalid value: ${JSON.stringify(p.name)}: ${e}`);
      else if (names.has(p.name as string)) errs.add(`${pat}.name`, `Duplicate value: "${p.name}"`);
      names.add(p.name as string);
    }
    if (p.hostPort !== undefined) {
      if (!isPort(p.hostPort)) errs.add(`${pat}.hostPort`, `Invalid value: ${JSON.stringify(p.hostPort)}: must be between 1 and 65535`);
      const hk = `${p.hostIP ?? ""}:${p.hostPort}/${p.protocol ?? "TCP"}`;
      if (hostPorts.has(hk)) errs.add(`${pat}.hostPort`, `Duplicate value: ${hk}`);
      hostPorts.add(hk);
    }
    if (p.hostIP !== undefined && !isIP(p.hostIP))
      errs.add(`${pat}.hostIP`, `Invalid value: ${JSON.stringify(p.hostIP)}: must be a valid IP address`);
  });
}

/** checkLabelSelector validates a LabelSelector; `required` makes an absent one an error. */
export function checkLabelSelector(errs: Errors, at: string, sel: unknown, required: boolean): void {
  if (sel === undefined || sel === null) {
    if (required) errs.add(at, "Required value");
    return;
  }
  if (!isObj(sel)) return errs.add(at, "must be an object");
  checkStringMap(errs, `${at}.matchLabels`, sel.matchLabels, labelKeyError, labelValueError);
  const exprs = sel.matchExpressions;
  if (exprs === undefined) return;
  if (!Array.isArray(exprs)) return errs.add(`${at}.matchExpressions`, "must be a list");
  exprs.forEach((r, i) => {
    const rat = `${at}.matchExpressions[${i}]`;
    if (!isObj(r) || typeof r.key !== "string") return errs.add(`${rat}.key`, "Required value");
    checkEnum(errs, `${rat}.operator`, r.operator, ["In", "NotIn", "Exists", "DoesNotExist"]);
    const needsValues = r.operator === "In" || r.operator === "NotIn";
    const n = Array.isArray(r.values) ? r.values.length : 0;
    if (needsValues && n === 0) errs.add(`${rat}.values`, `Required value: must be specified when operator is ${r.operator}`);
    if (!needsValues && n > 0) errs.add(`${rat}.values`, `Forbidden: may not be specified when operator is ${r.operator}`);
  });
}
