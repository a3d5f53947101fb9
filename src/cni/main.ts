/**
 * podnet-cni's entry point: reads CNI_* and the network config, runs one command, prints the
 * result or the spec's error JSON. Kept light: it is a fresh process for every runtime call.
 */
import { readFileSync } from "node:fs";
import { RealExecutor } from "../exec/real.js";
import type { Executor } from "../exec/types.js";
import { cmdAdd, cmdCheck, cmdDel, cmdGc, cmdStatus, type PluginContext } from "./commands.js";
import { readEnv } from "./env.js";
import { asCniError, CniCode, CniError, formatResult, type NetConf, SUPPORTED_VERSIONS } from "./types.js";

function parseConf(text: string): NetConf {
  let conf: NetConf;
  try {
    conf = JSON.parse(text) as NetConf;
  } catch (e) {
    throw new CniError(CniCode.DecodeFailure, `failed to parse network configuration: ${(e as Error).message}`);
  }
  if (typeof conf !== "object" || conf === null) throw new CniError(CniCode.DecodeFailure, "network configuration must be a JSON object");
  if (!(SUPPORTED_VERSIONS as readonly string[]).includes(conf.cniVersion))
    throw new CniError(
      CniCode.IncompatibleVersion,
      `incompatible CNI versions: config is "${conf.cniVersion}", plugin supports ${JSON.stringify(SUPPORTED_VERSIONS)}`,
    );
  if (typeof conf.name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(conf.name))
    throw new CniError(CniCode.InvalidConfig, `invalid network name ${JSON.stringify(conf.name)}`);
  if (conf.mode !== undefined && conf.mode !== "bridge" && conf.mode !== "routed")
    throw new CniError(CniCode.InvalidConfig, `invalid mode ${JSON.stringify(conf.mode)}: use "bridge" or "routed"`);
  return conf;
}

/** run executes one CNI invocation and returns what to print and the exit code. */
export async function run(exec: Executor, env: NodeJS.ProcessEnv, stdin: string): Promise<{ out: string; code: number }> {
  let version = "1.1.0";
  try {
    const e = readEnv(env);
    if (e.command === "VERSION") {
      const asked = (() => {
        try {
          return (JSON.parse(stdin) as { cniVersion?: string }).cniVersion;
        } catch {
          return undefined;
        }
      })();
      return {
        out: JSON.stringify({ cniVersion: asked ?? "1.1.0", supportedVersions: SUPPORTED_VERSIONS }),
        code: 0,
      };
    }
    const conf = parseConf(stdin);
    version = conf.cniVersion;
    const ctx: PluginContext = { exec, env: e, conf };
    if (e.command === "ADD") return { out: JSON.stringify(formatResult(await cmdAdd(ctx), version)), code: 0 };
    if (e.command === "DEL") await cmdDel(ctx);
    else if (e.command === "CHECK") await cmdCheck(ctx);
    else if (e.command === "GC") await cmdGc(ctx);
    else if (e.command === "STATUS") cmdStatus(conf);
    return { out: "", code: 0 };
  } catch (err) {
    const ce = asCniError(err);
    return { out: JSON.stringify(ce.toJSON(version)), code: 1 };
  }
}

function readStdin(): string {
  try {
    return readFileSync(0, "utf8");
  } catch {
    return "";
  }
}

/** main is the process entry point of podnet-cni. */
export async function main(): Promise<void> {
  const { out, code } = await run(new RealExecutor(), process.env, readStdin());
  if (out) process.stdout.write(`${out}\n`);
  process.exitCode = code;
}
