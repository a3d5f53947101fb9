/** Validation of Service specs, following the API server's rules for ports, IPs and policies. */
import { isCIDR, isIP } from "../../util/ip.js";
import { labelKeyError, labelValueError, portNameError } from "../names.js";
import { checkEnum, checkStringMap, type Errors, isObj, isPort, PROTOCOLS } from "./errors.js";

const TYPES = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];

/** checkServiceSpec validates spec of a Service. */
export function checkServiceSpec(errs: Errors, spec: unknown): void {
  if (!isObj(spec)) return errs.add("spec", "Required value");
  checkEnum(errs, "spec.type", spec.type, TYPES);
  const type = (spec.type as string | undefined) ?? "ClusterIP";
  checkStringMap(errs, "spec.selector", spec.selector, labelKeyError, labelValueError);
  const headless = spec.clusterIP === "None";
  if (spec.clusterIP !== undefined && spec.clusterIP !== "" && !headless && !isIP(spec.clusterIP))
    errs.add("spec.clusterIP", `Invalid value: ${JSON.stringify(spec.clusterIP)}: must be a valid IP address or "None"`);
  if (Array.isArray(spec.clusterIPs))
    spec.clusterIPs.forEach((ip, i) => {
      if (ip !== "None" && !isIP(ip)) errs.add(`spec.clusterIPs[${i}]`, `Invalid value: ${JSON.stringify(ip)}: must be a valid IP address`);
    });
  if (headless && (type === "NodePort" || type === "LoadBalancer"))
    errs.add("spec.clusterIP", `Invalid value: "None": may not be set to 'None' for ${type} services`);
  checkIPList(errs, "spec.externalIPs", spec.externalIPs, isIP, "IP address");
  checkIPList(errs, "spec.loadBalancerSourceRanges", spec.loadBalancerSourceRanges, isCIDR, "CIDR");
  if (spec.loadBalancerIP !== undefined && spec.loadBalancerIP !== "" && !isIP(spec.loadBalancerIP))
    errs.add("spec.loadBalancerIP", `Invalid value: ${JSON.stringify(spec.loadBalancerIP)}: must be a valid IP address`);
  checkEnum(errs, "spec.sessionAffinity", spec.sessionAffinity, ["None", "ClientIP"]);
  const timeout =
    isObj(spec.sessionAffinityConfig) && isObj(spec.sessionAffinityConfig.clientIP)
      ? spec.sessionAffinityConfig.clientIP.timeoutSeconds
      : undefined;
  if (timeout !== undefined && !(Number.isInteger(timeout) && (timeout as number) > 0 && (timeout as number) <= 86400))
    errs.add(
      "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
      `Invalid value: ${JSON.stringify(timeout)}: must be greater than 0 and less than 86400`,
    );
  checkEnum(errs, "spec.externalTrafficPolicy", spec.externalTrafficPolicy, ["Cluster", "Local"]);
  if (spec.externalTrafficPolicy !== undefined && type !== "NodePort" && type !== "LoadBalancer" && !Array.isArray(spec.externalIPs))
    errs.add("spec.externalTrafficPolicy", "Invalid value: may only be set for NodePort and LoadBalancer services or with externalIPs");
  checkEnum(errs, "spec.internalTrafficPolicy", spec.internalTrafficPolicy, ["Cluster", "Local"]);
  checkEnum(errs, "spec.ipFamilyPolicy", spec.ipFamilyPolicy, ["SingleStack", "PreferDualStack", "RequireDualStack"]);
  if (type === "ExternalName") {
    if (typeof spec.externalName !== "string" || spec.externalName === "") errs.add("spec.externalName", "Required value");
    return;
  }
  checkServicePorts(errs, spec.ports, type, headless);
}

function checkIPList(errs: Errors, at: string, v: unknown, ok: (s: unknown) => boolean, what: string): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) return errs.add(at, "must be a list");
  v.forEach((x, i) => {
    if (!ok(x)) errs.add(`${at}[${i}]`, `Invalid value: ${JSON.stringify(x)}: must be a valid ${what}`);
  });
}

function checkServicePorts(errs: Errors, ports: unknown, type: string, headless: boolean): void {
  if (ports === undefined || (Array.isArray(ports) && ports.length === 0)) {
    if (!headless) errs.add("spec.ports", "Required value");
    return;
  }
  if (!Array.isArray(ports)) return errs.add("spec.ports", "must be a list");
  const names = new Set<string>();
  const seen = new Set<string>();
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    const at = `spec.ports[${i}]`;
    if (!isObj(p)) return errs.add(at, "must be an object");
    if (ports.length > 1 && (p.name === undefined || p.name === ""))
      errs.add(`${at}.name`, "Required value: a name is required when a Service has more than one port");
    if (p.name !== undefined && p.name !== "") {
      const e = typeof p.name === "string" ? portNameError(p.name) : "must be a string";
      if (e) errs.add(`${at}.name`, `Invalid value: ${JSON.stringify(p.name)}: ${e}`);
      else if (names.has(p.name as string)) errs.add(`${at}.name`, `Duplicate value: "${p.name}"`);
      names.add(p.name as string);
    }
    if (!isPort(p.port)) errs.add(`${at}.port`, `Invalid value: ${JSON.stringify(p.port)}: must be between 1 and 65535`);
    checkEnum(errs, `${at}.protocol`, p.protocol, PROTOCOLS);
    const key = `${p.port}/${p.protocol ?? "TCP"}`;
    if (seen.has(key)) errs.add(`${at}`, `Duplicate value: ${key}: port and protocol must be unique`);
    seen.add(key);
    checkTargetPort(errs, `${at}.targetPort`, p.targetPort);
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (type !== "NodePort" && type !== "LoadBalancer") errs.add(`${at}.nodePort`, `Forbidden: may not be used when type is '${type}'`);
      else if (!isPort(p.nodePort)) errs.add(`${at}.nodePort`, `Invalid value: ${JSON.stringify(p.nodePort)}: must be between 1 and 65535`);
      const nk = `${p.nodePort}/${p.protocol ?? "TCP"}`;
      if (nodePorts.has(nk)) errs.add(`${at}.nodePort`, `Duplicate value: ${nk}`);
      nodePorts.add(nk);
    }
  });
}

function checkTargetPort(errs: Errors, at: string, tp: unknown): void {
  if (tp === undefined) return;
  if (typeof tp === "number") {
    if (!isPort(tp)) errs.add(at, `Invalid value: ${tp}: must be between 1 and 65535`);
  } else if (typeof tp === "string") {
    const e = portNameError(tp);
    if (e && !/^\d+$/.test(tp)) errs.add(at, `Invalid value: ${JSON.stringify(tp)}: ${e}`);
  } else errs.add(at, `Invalid value: ${JSON.stringify(tp)}: must be a port number or name`);
}
