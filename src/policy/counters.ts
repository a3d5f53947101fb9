/**
 * Denial counters: every group chain has a counting rule per policy ("denied by ingress of
 * x/deny-all") and every private subnet rule says which subnet denied; summed over a node's
 * `iptables-save -c` they say how many packets each policy or subnet turned away there.
 */

/** Denials is one policy's (or private subnet's) count on a node. */
export interface Denials {
  /** what is the comment: "ingress of x/deny-all", "egress of …", "private subnet …". */
  what: string;
  packets: number;
  bytes: number;
}

const LINE = /^\[(\d+):(\d+)\] -A \S+ .*--comment "denied by ([^"]+)"/;

/** deniedCounts sums the denial counters of an `iptables-save -c` text, largest first. */
export function deniedCounts(save: string): Denials[] {
  const sums = new Map<string, Denials>();
  for (const line of save.split("\n")) {
    const m = LINE.exec(line);
    if (!m) continue;
    const what = m[3] as string;
    const d = sums.get(what) ?? { what, packets: 0, bytes: 0 };
    d.packets += Number(m[1]);
    d.bytes += Number(m[2]);
    sums.set(what, d);
  }
  return [...sums.values()].sort((a, b) => b.packets - a.packets || (a.what < b.what ? -1 : 1));
}
