/** Validation of apiVersion, kind and metadata, common to every object. */
import { type KindInfo, kindInfo } from "../kinds.js";
import { dns1035LabelError, dnsLabelError, dnsSubdomainError, labelKeyError, labelValueError } from "../names.js";
import { checkStringMap, type Errors, isObj } from "./errors.js";

const NAME_RULES = { label: dnsLabelError, label1035: dns1035LabelError, subdomain: dnsSubdomainError };

/** checkMeta validates the envelope of an object and returns its kind, if known. */
export function checkMeta(errs: Errors, obj: Record<string, unknown>): KindInfo | undefined {
  const kind = obj.kind;
  if (typeof kind !== "string" || kind === "") {
    errs.add("kind", "Required value");
    return undefined;
  }
  const info = kindInfo(kind);
  if (!info) {
    errs.add(
      "kind",
      `Unsupported value: "${kind}": podnet accepts Namespace, Node, Pod, Deployment, Service, EndpointSlice, NetworkPolicy`,
    );
    return undefined;
  }
  if (obj.apiVersion !== info.apiVersion)
    errs.add("apiVersion", `Unsupported value: ${JSON.stringify(obj.apiVersion)}: ${kind} is "${info.apiVersion}"`);
  const md = obj.metadata;
  if (!isObj(md)) {
    errs.add("metadata", "Required value");
    return info;
  }
  if (typeof md.name !== "string" || md.name === "") errs.add("metadata.name", "Required value");
  else {
    const e = NAME_RULES[info.nameRule](md.name);
    if (e) errs.add("metadata.name", `Invalid value: ${JSON.stringify(md.name)}: ${e}`);
  }
  if (md.namespace !== undefined) {
    if (!info.namespaced) errs.add("metadata.namespace", `Forbidden: ${kind} is not namespaced`);
    else if (typeof md.namespace !== "string" || dnsLabelError(md.namespace))
      errs.add("metadata.namespace", `Invalid value: ${JSON.stringify(md.namespace)}: ${dnsLabelError(String(md.namespace))}`);
  }
  checkStringMap(errs, "metadata.labels", md.labels, labelKeyError, labelValueError);
  checkStringMap(errs, "metadata.annotations", md.annotations, labelKeyError, (v) =>
    typeof v === "string" ? undefined : "must be a string",
  );
  return info;
}
