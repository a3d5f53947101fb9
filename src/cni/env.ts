/** Reading the CNI_* environment a runtime passes, with the spec's errors for what is missing. */
import { CniCode, CniError } from "./types.js";

/** CniEnv is the parsed invocation environment. */
export interface CniEnv {
  command: string;
  containerId: string;
  netns: string;
  ifname: string;
  path: string[];
  args: Record<string, string>;
  /** vars are the CNI_* variables as received, passed on to delegated plugins. */
  vars: Record<string, string>;
}

const REQUIRED: Record<string, string[]> = {
  ADD: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"],
  DEL: ["CNI_CONTAINERID", "CNI_IFNAME"],
  CHECK: ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"],
  VERSION: [],
  GC: [],
  STATUS: [],
};

/** parseCniArgs splits `K=V;K=V` as runtimes send it (`IgnoreUnknown=1;K8S_POD_NAME=…`). */
export function parseCniArgs(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (s ?? "").split(";")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    if (eq <= 0) throw new CniError(CniCode.InvalidEnv, `invalid CNI_ARGS pair "${part}"`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** readEnv parses the CNI_* variables, failing with code 4 when a required one is missing. */
export function readEnv(env: NodeJS.ProcessEnv): CniEnv {
  const command = env.CNI_COMMAND ?? "";
  const need = REQUIRED[command];
  if (!need) throw new CniError(CniCode.InvalidEnv, `unknown CNI_COMMAND "${command}"`);
  for (const k of need) if (!env[k]) throw new CniError(CniCode.InvalidEnv, `required env variable ${k} is missing`);
  const ifname = env.CNI_IFNAME ?? "";
  if (ifname && !/^[A-Za-z0-9_.-]{1,15}$/.test(ifname)) throw new CniError(CniCode.InvalidEnv, `invalid CNI_IFNAME "${ifname}"`);
  return {
    command,
    containerId: env.CNI_CONTAINERID ?? "",
    netns: env.CNI_NETNS ?? "",
    ifname,
    path: (env.CNI_PATH ?? "").split(":").filter(Boolean),
    args: parseCniArgs(env.CNI_ARGS),
    vars: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith("CNI_") && e[1] !== undefined)),
  };
}
