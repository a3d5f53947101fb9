/**
 * Static addresses a runtime asks for, in the ways the reference plugins accept them: the `ips` and
 * `mac` capabilities (`runtimeConfig`), `args.cni.ips`, and `IP=` / `MAC=` in CNI_ARGS (several IPs
 * comma-separated). An attachment with none gets dynamic addresses.
 */
import type { CniEnv } from "./env.js";
import { CniCode, CniError, type NetConf } from "./types.js";

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

function list(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string");
  return typeof v === "string"
    ? v
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean)
    : [];
}

/** requestedIps collects the static IPs of an ADD (runtimeConfig first, then args, then CNI_ARGS). */
export function requestedIps(conf: NetConf, env: CniEnv): string[] {
  const rc = conf.runtimeConfig as { ips?: unknown } | undefined;
  const args = conf.args as { cni?: { ips?: unknown } } | undefined;
  for (const v of [rc?.ips, args?.cni?.ips, env.args.IP]) {
    const ips = list(v);
    if (ips.length) return ips;
  }
  return [];
}

/** requestedMac is the pod interface MAC asked for, validated, if any. */
export function requestedMac(conf: NetConf, env: CniEnv): string | undefined {
  const rc = conf.runtimeConfig as { mac?: unknown } | undefined;
  const mac = typeof rc?.mac === "string" ? rc.mac : env.args.MAC;
  if (mac === undefined || mac === "") return undefined;
  if (!MAC.test(mac)) throw new CniError(CniCode.InvalidConfig, `invalid MAC address "${mac}"`);
  if (Number.parseInt(mac.slice(0, 2), 16) & 1) throw new CniError(CniCode.InvalidConfig, `MAC address "${mac}" is multicast`);
  return mac.toLowerCase();
}
