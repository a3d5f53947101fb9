/**
 * podnet-cni's entry point: reads CNI_* and the network config, runs one command, prints the
 * result or the spec's error JSON. Kept light: it is a fresh process for every runtime call.
 */
import { RealExecutor } from "../exec/real.js";
import type { Executor } from "../exec/types.js";
import { readJson } from "../exec/json.js";
import { ipamPools } from "../ipam/pools.js";
import { readFileSync } from "node:fs";
import { cmdAdd, cmdCheck, cmdDel, type PluginContext, setMasq } from "./bridge.js";
import { cmdAddRouted, cmdCheckRouted } from "./routed.js";
import { readEnv } from "./env.js";
import { hostVethName } from "./names.js";
import { CniCode, CniError, formatResult, type NetConf, SUPPORTED_VERSIONS } from "./types.js";

function parseConf(text: string): NetConf {
  let conf: NetConf;
  try {
    conf = JSON.parse(text) as NetConf;
  } catch (e) {
    throw new CniError(
      CniCode.DecodeFailure,
      `failed to parse network configuration: ${(e as Error).message}`,
    );
  }
  if (typeof conf !== "object" || conf === null)
    throw new CniError(CniCode.DecodeFailure, "network configuration must be a JSON object");
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

async function cmdGc(ctx: PluginContext): Promise<void> {
  const conf = ctx.conf as NetConf & Record<string, { containerID: string; ifname: string }[] | undefined>;
  const valid = conf["cni.dev/valid-attachments"] ?? conf["cni.dev/attachments"] ?? [];
  if (conf.ipam?.type !== "podnet") return;
  const keep = new Set(valid.map((a) => `${a.containerID}/${a.ifname}`));
  const delLink = (name: string) => ctx.exec.run({ argv: ["ip", "link", "del", name], netns: null, okCodes: [0, 1, 2] });
  for (const { alloc } of ipamPools(conf.name, conf.ipam))
    for (const a of alloc.allocations()) {
      if (keep.has(`${a.containerId}/${a.ifname}`)) continue;
      await delLink(hostVethName(a.containerId, a.ifname));
      if (conf.ipMasq) await setMasq(ctx, [{ address: `${a.ip}/${a.ip.includes(":") ? 128 : 32}` }], true, a);
      alloc.release(a.containerId, a.ifname);
    }
  // Pod links on the bridge that no valid attachment owns (an ADD killed mid-way, a lost record).
  const shown = await readJson<{ ifname: string }>(ctx.exec, null, ["ip", "-j", "link", "show", "master", conf.bridge ?? "cni0"]);
  const wanted = new Set(valid.map((a) => hostVethName(a.containerID, a.ifname)));
  for (const l of shown)
    if (/^pn[0-9a-f]{11}$/.test(l.ifname) && !wanted.has(l.ifname)) await delLink(l.ifname);
}

/** cmdStatus fails with code 50 (cannot serve ADD) when the config has no pool or a pool is exhausted. */
function cmdStatus(network: string, ipam: NonNullable<NetConf["ipam"]>): void {
  const pools = ipamPools(network, ipam);
  if (pools.length === 0) throw new CniError(CniCode.NotReady, "no address ranges yet (no pod CIDR for this node)");
  for (const p of pools) {
    const full = p.alloc.exhausted();
    if (full.length) throw new CniError(CniCode.NotReady, `IPAM exhausted in ${full.join("; ")}${p.subnet ? ` (subnet "${p.subnet}")` : ""}`);
  }
}

/** run executes one CNI invocation and returns what to print and the exit code. */
export async function run(
  exec: Executor,
  env: NodeJS.ProcessEnv,
  stdin: string,
): Promise<{ out: string; code: number }> {
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
    if (e.command === "ADD")
      return { out: JSON.stringify(formatResult(await (conf.mode === "routed" ? cmdAddRouted(ctx) : cmdAdd(ctx)), version)), code: 0 };
    if (e.command === "DEL") await cmdDel(ctx);
    else if (e.command === "CHECK" && conf.mode === "routed") await cmdCheckRouted(ctx, hostVethName(e.containerId, e.ifname));
    else if (e.command === "CHECK") await cmdCheck(ctx);
    else if (e.command === "GC") await cmdGc(ctx);
    else if (e.command === "STATUS" && conf.ipam?.type === "podnet") cmdStatus(conf.name, conf.ipam);
    return { out: "", code: 0 };
  } catch (err) {
    const ce = err instanceof CniError ? err : new CniError(CniCode.Internal, (err as Error).message);
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
