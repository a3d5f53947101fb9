/**
 * A minimal libcni: runs a `.conflist` for one attachment the way container runtimes do — each
 * plugin found in CNI_PATH, ADD in order with prevResult threaded through, DEL in reverse.
 */
import { readFileSync } from "node:fs";
import type { Executor, NetnsRef } from "../exec/types.js";
import { ExecError } from "../exec/types.js";
import { findPlugin } from "./ipam-client.js";
import type { NetConf, Result } from "./types.js";

/** ConfList is a network configuration list. */
export interface ConfList {
  cniVersion: string;
  name: string;
  plugins: Record<string, unknown>[];
  disableCheck?: boolean;
}

/** Attachment is one container interface on one network. */
export interface Attachment {
  containerId: string;
  netns: string;
  ifname: string;
  args: Record<string, string>;
  /** capabilityArgs go to plugins as runtimeConfig, each key only to plugins declaring that capability (libcni's rule). */
  capabilityArgs?: Record<string, unknown>;
}

/** RuntimeOptions say where plugins are and which namespace they run in (the node's). */
export interface RuntimeOptions {
  exec: Executor;
  hostNetns: NetnsRef;
  cniPath: string[];
  env?: Record<string, string | undefined>;
}

/** CniInvokeError is a plugin that failed, with its CNI error JSON decoded. */
export class CniInvokeError extends Error {
  constructor(plugin: string, command: string, detail: string) {
    super(`failed to ${command} network with plugin "${plugin}": ${detail}`);
    this.name = "CniInvokeError";
  }
}

/** loadConfList reads a .conflist file. */
export function loadConfList(file: string): ConfList {
  return JSON.parse(readFileSync(file, "utf8")) as ConfList;
}

async function invoke(
  o: RuntimeOptions,
  list: ConfList,
  plugin: Record<string, unknown>,
  command: string,
  att: Attachment,
  prev?: Result,
): Promise<string> {
  const type = String(plugin.type);
  const conf: NetConf = { ...(plugin as NetConf), cniVersion: list.cniVersion, name: list.name };
  if (prev) conf.prevResult = prev;
  const caps = (plugin.capabilities ?? {}) as Record<string, boolean>;
  const rc = Object.fromEntries(Object.entries(att.capabilityArgs ?? {}).filter(([k]) => caps[k] === true));
  if (Object.keys(rc).length > 0) conf.runtimeConfig = rc;
  const cniArgs = Object.entries(att.args)
    .map(([k, v]) => `${k}=${v}`)
    .join(";");
  try {
    const r = await o.exec.run({
      argv: [findPlugin(type, o.cniPath)],
      netns: o.hostNetns,
      stdin: JSON.stringify(conf),
      env: {
        ...o.env,
        CNI_COMMAND: command,
        CNI_CONTAINERID: att.containerId,
        CNI_NETNS: att.netns,
        CNI_IFNAME: att.ifname,
        CNI_ARGS: cniArgs,
        CNI_PATH: o.cniPath.join(":"),
      },
    });
    return r.stdout;
  } catch (e) {
    const out = e instanceof ExecError ? e : undefined;
    let detail = (e as Error).message;
    try {
      const j = JSON.parse(out?.stdout || out?.stderr || "") as { msg?: string; details?: string };
      if (j.msg) detail = j.details ? `${j.msg} (${j.details})` : j.msg;
    } catch {}
    throw new CniInvokeError(type, command, detail);
  }
}

/** addNetworkList runs ADD through every plugin of the list and returns the final result. */
export async function addNetworkList(o: RuntimeOptions, list: ConfList, att: Attachment): Promise<Result> {
  let prev: Result | undefined;
  for (const p of list.plugins) {
    const out = await invoke(o, list, p, "ADD", att, prev);
    prev = JSON.parse(out) as Result;
  }
  if (!prev) throw new CniInvokeError(list.name, "ADD", "the list has no plugins");
  return prev;
}

/**
 * gcPlugin runs GC (CNI 1.1) on the list's plugins of one type with the attachments that are
 * valid: everything else that plugin holds (addresses, links, rules) is released. Only that type
 * is asked: older plugins of a 1.0 list know no GC.
 */
export async function gcPlugin(
  o: RuntimeOptions,
  list: ConfList,
  type: string,
  valid: Pick<Attachment, "containerId" | "ifname">[],
): Promise<void> {
  const attachments = valid.map((a) => ({ containerID: a.containerId, ifname: a.ifname }));
  for (const p of list.plugins.filter((x) => x.type === type))
    await invoke(o, { ...list, cniVersion: "1.1.0" }, { ...p, "cni.dev/valid-attachments": attachments }, "GC", {
      containerId: "",
      netns: "",
      ifname: "",
      args: {},
    });
}

/** delNetworkList runs DEL through every plugin of the list, last first. */
export async function delNetworkList(o: RuntimeOptions, list: ConfList, att: Attachment, prev?: Result): Promise<void> {
  for (const p of [...list.plugins].reverse()) await invoke(o, list, p, "DEL", att, prev);
}
