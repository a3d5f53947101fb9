/**
 * kube-proxy's nfacct counters (iptables mode): the kernel's accounting objects
 * `ct_state_invalid_dropped_pkts` and `localhost_nps_accepted_pkts`, which the INVALID drop and the
 * localhost NodePort rules name, read back for the metrics. Used only where the kernel has nfacct.
 */
import type { Executor, NetnsRef } from "../exec/types.js";
import { NFACCT_INVALID, NFACCT_LOCALHOST } from "./iptables/render.js";

/** NFACCT_METRICS maps the objects to kube-proxy's metric names. */
export const NFACCT_METRICS: Record<string, string> = {
  [NFACCT_INVALID]: "kubeproxy_iptables_ct_state_invalid_dropped_packets_total",
  [NFACCT_LOCALHOST]: "kubeproxy_iptables_localhost_nodeports_accepted_packets_total",
};

/**
 * ensureNfacct creates the objects (an existing one is fine); false when the kernel or the nfacct
 * tool cannot. Adding one that exists fails with "Device or resource busy", which says nothing the
 * kernel's missing nfacct would not: a restarted proxy that read it as "no nfacct" rewrote its
 * rules without the counters. So a failed add is checked with `nfacct get`.
 */
export async function ensureNfacct(exec: Executor, netns: NetnsRef): Promise<boolean> {
  try {
    for (const name of Object.keys(NFACCT_METRICS)) {
      const r = await exec.run({ argv: ["nfacct", "add", name], netns, okCodes: [0, 1] });
      if (r.code === 0) continue;
      const there = await exec.run({ argv: ["nfacct", "get", name], netns, okCodes: [0, 1] });
      if (there.code !== 0) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** parseNfacct reads `nfacct list`: `{ pkts = 00000000000000000012, bytes = … } = name;` per line. */
export function parseNfacct(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/\{\s*pkts\s*=\s*(\d+),\s*bytes\s*=\s*\d+\s*\}\s*=\s*([A-Za-z0-9_]+);/g))
    out.set(m[2] as string, Number(m[1]));
  return out;
}

/** readNfacct reads the packet counts of every object. */
export async function readNfacct(exec: Executor, netns: NetnsRef): Promise<Map<string, number>> {
  return parseNfacct((await exec.run({ argv: ["nfacct", "list"], netns })).stdout);
}
