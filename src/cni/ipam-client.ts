/**
 * IPAM for the plugin: `"type": "podnet"` is served in-process by the podnet allocator; any other
 * type is delegated to that plugin from CNI_PATH, as the spec's delegation rules say.
 */
import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import type { Executor } from "../exec/types.js";
import { ExecError } from "../exec/types.js";
import { ipamPools, poolFor } from "../ipam/pools.js";
import type { CniEnv } from "./env.js";
import { CniCode, CniError, type IPConfig, type NetConf, type Route } from "./types.js";

/** IpamClient allocates and releases a container's addresses. */
export interface IpamClient {
  /** add allocates the attachment's addresses; `requested` are static IPs (podnet IPAM only); reused: it held them already. */
  add(requested?: string[]): Promise<{ ips: IPConfig[]; routes: Route[]; reused?: boolean }>;
  del(): Promise<void>;
  /** held lists the addresses currently held by the attachment (empty when unknown). */
  held(): Promise<string[]>;
}

/** findPlugin resolves a plugin type in CNI_PATH. */
export function findPlugin(type: string, path: string[]): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(type)) throw new CniError(CniCode.InvalidConfig, `invalid plugin type "${type}"`);
  for (const dir of path) {
    const f = join(dir, type);
    try {
      accessSync(f, constants.X_OK);
      return f;
    } catch {}
  }
  throw new CniError(CniCode.InvalidConfig, `failed to find plugin "${type}" in path [${path.join(" ")}]`);
}

/** ipamClient picks the in-process allocator or a delegate for a config. */
export function ipamClient(exec: Executor, env: CniEnv, conf: NetConf): IpamClient {
  const ipam = conf.ipam;
  if (!ipam?.type) throw new CniError(CniCode.InvalidConfig, "ipam.type is required");
  if (ipam.type === "podnet") {
    const pools = ipamPools(conf.name, ipam);
    const ns = env.args.K8S_POD_NAMESPACE;
    return {
      add: async (requested = []) => {
        const pool = poolFor(pools, ipam, ns);
        if (!pool)
          throw new CniError(
            CniCode.InvalidConfig,
            `no address pool for namespace "${ns ?? ""}": ipam has no ranges and no subnet serves it`,
          );
        return pool.alloc.allocate(env.containerId, env.ifname, requested);
      },
      del: async () => {
        for (const p of pools) await p.alloc.release(env.containerId, env.ifname);
      },
      held: async () => pools.flatMap((p) => p.alloc.held(env.containerId, env.ifname).map((a) => a.ip)),
    };
  }
  const bin = findPlugin(ipam.type, env.path);
  const call = async (command: string) => {
    try {
      const r = await exec.run({
        argv: [bin],
        netns: null,
        stdin: JSON.stringify(conf),
        env: { ...env.vars, CNI_COMMAND: command }, // an agent's own environment has no CNI_* variables
      });
      return r.stdout ? (JSON.parse(r.stdout) as { ips?: IPConfig[]; routes?: Route[] }) : {};
    } catch (e) {
      const out = e instanceof ExecError ? e.stderr : "";
      throw new CniError(CniCode.Internal, `failed to run IPAM plugin "${ipam.type}" ${command}: ${(e as Error).message}`, out);
    }
  };
  return {
    add: async () => {
      const r = await call("ADD");
      return {
        ips: (r.ips ?? []).map(({ address, gateway }) => ({ address, ...(gateway ? { gateway } : {}) })),
        routes: r.routes ?? [],
      };
    },
    del: async () => void (await call("DEL")),
    held: async () => [],
  };
}
