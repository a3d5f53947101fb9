/**
 * From annotations to what the agent enforces: a valid setting is taken as it is; a bad one keeps
 * the setting last enforced for that pod (or, for a pod first seen after a restart, the one its
 * devices carry in the kernel), so a typo never lifts or tightens a running pod's limit.
 */
import type { DevTc, TcState } from "../tc/index.js";
import { type PodQosSpec, type Setting, specErrors } from "./annotations.js";
import { ifbName, type PodQos } from "./plan.js";

/** kernelQos reads back what a pod's device (and its ifb) enforce now. */
export function kernelQos(key: string, dev: string | undefined, tc: TcState): PodQos {
  const rate = (d: DevTc | undefined) => (d?.root && d.root !== "other" ? d.root.rate : undefined);
  const devTc = dev ? tc.get(dev) : undefined;
  const ingress = rate(devTc);
  const egress = dev ? rate(tc.get(ifbName(dev))) : undefined;
  const mirror = (devTc?.filters.ingress ?? []).some((a) => a.kind === "mirred" && a.mode === "mirror");
  return { key, ...(ingress ? { ingress } : {}), ...(egress ? { egress } : {}), mirror };
}

function pick<T>(s: Setting<T>, previous: T): T {
  return "value" in s ? s.value : previous;
}

/** effectiveQos is what to enforce for a pod given its spec and what was enforced before; errors says what was ignored. */
export function effectiveQos(
  key: string,
  spec: PodQosSpec,
  previous: PodQos,
  mirrorIface: string | undefined,
): { qos: PodQos; errors: string[] } {
  const errors = specErrors(spec);
  const ingress = pick(spec.ingress, previous.ingress);
  const egress = pick(spec.egress, previous.egress);
  let mirror = pick(spec.mirror, previous.mirror);
  if (mirror && !mirrorIface) {
    errors.push("mirroring is not enabled on this node (start its agent with --enable-mirror)");
    mirror = false;
  }
  return { qos: { key, ...(ingress ? { ingress } : {}), ...(egress ? { egress } : {}), mirror }, errors };
}
