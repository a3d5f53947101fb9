/** validateObject: the single entry point that checks any object before it may be stored. */
import type { KubeObject } from "../types.js";
import { Errors, isObj, ValidationError } from "./errors.js";
import { checkMeta } from "./meta.js";
import { checkDeploymentSpec, checkEndpointSlice, checkNetworkPolicySpec, checkNodeSpec } from "./others.js";
import { checkPodSpec } from "./pod.js";
import { checkServiceSpec } from "./service.js";
import { checkSubnetSpec } from "./subnet.js";

export { type FieldError, ValidationError } from "./errors.js";

/** objectRef names an object for messages: `Kind "ns/name"` or `Kind "name"`. */
export function objectRef(obj: unknown): string {
  const o = isObj(obj) ? obj : {};
  const md = isObj(o.metadata) ? o.metadata : {};
  const kind = typeof o.kind === "string" ? o.kind : "object";
  const name = typeof md.name === "string" ? md.name : "<unnamed>";
  return typeof md.namespace === "string" ? `${kind} "${md.namespace}/${name}"` : `${kind} "${name}"`;
}

/** validateRef checks only what names an object (apiVersion, kind, metadata): enough to delete it, as kubectl delete -f reads. */
export function validateRef(obj: unknown): KubeObject {
  const errs = new Errors();
  if (!isObj(obj)) throw new ValidationError("document", [{ field: "", message: "must be a mapping (an object)" }]);
  checkMeta(errs, obj);
  if (!errs.ok) throw new ValidationError(objectRef(obj), errs.list);
  return obj as KubeObject;
}

/** validateObject checks an object and returns it typed, or throws a ValidationError naming the fields. */
export function validateObject(obj: unknown): KubeObject {
  const errs = new Errors();
  if (!isObj(obj)) throw new ValidationError("document", [{ field: "", message: "must be a mapping (an object)" }]);
  const info = checkMeta(errs, obj);
  if (info && errs.ok) {
    if (info.kind === "Pod") checkPodSpec(errs, "spec", obj.spec);
    else if (info.kind === "Deployment") checkDeploymentSpec(errs, obj.spec);
    else if (info.kind === "Service") checkServiceSpec(errs, obj.spec);
    else if (info.kind === "EndpointSlice") checkEndpointSlice(errs, obj);
    else if (info.kind === "NetworkPolicy") checkNetworkPolicySpec(errs, obj.spec);
    else if (info.kind === "Node") checkNodeSpec(errs, obj.spec);
    else if (info.kind === "Subnet") checkSubnetSpec(errs, obj.spec);
  }
  if (!errs.ok) throw new ValidationError(objectRef(obj), errs.list);
  return obj as KubeObject;
}
