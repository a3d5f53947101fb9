/**
 * The kernel's own trace of a flow (`lab trace --verify` on nodes whose iptables is iptables-nft,
 * or whose proxy runs nftables): a short-lived table on every node sets `meta nftrace` on the
 * flow's packets before any other chain sees them, `nft monitor` in each node's namespace reports
 * every base chain, rule and verdict they meet, and the first packet's events are read back as
 * what each node did: the chain whose rule DNATed it, masquerade, and the verdict with its rule.
 * The table is added once every monitor listens (each reports its `add table`) and removed before
 * the monitors stop (each reports its `delete table`, which comes after the packets' events).
 */
import { randomBytes } from "node:crypto";
import type { Executor, Stream } from "../../exec/types.js";
import type { Flow, Hop } from "./walk.js";

/** KernelHop is what one node's kernel did with the flow's first packet, from its own trace. */
export interface KernelHop {
  node: string;
  /** dnat is the chain (`table chain`) whose rule DNATed the packet, if one did. */
  dnat?: string;
  masquerade: boolean;
  verdict: "accept" | "drop" | "reject";
  /** rule is the rule that dropped or rejected it, as the trace prints it. */
  rule?: string;
}

/**
 * packetKey tells packets apart in trace events, whose ids change between hooks and are reused: an
 * IPv4 packet by its IP id; an IPv6 one (no id) by what it is — a SYN, a UDP datagram of the flow,
 * or a later packet, each of which is unique.
 */
function packetKey(line: string): string {
  const v4 = /\bip id (\d+)/.exec(line)?.[1];
  if (v4 !== undefined) return v4;
  if (/\btcp flags == syn\b/.test(line)) return "syn";
  return /\budp sport\b/.test(line) ? "udp" : `later ${Math.random()}`;
}

const EVENT = /^trace id (\S+) (?:ip|ip6|inet) (\S+) (\S+) (.*)$/;

/** parseMonitor reads one node's `nft monitor` output into what its kernel did with the first traced packet. */
export function parseMonitor(node: string, text: string, skipTable: string): KernelHop | undefined {
  const packetOf = new Map<string, string>();
  let first: string | undefined;
  const hop: KernelHop = { node, masquerade: false, verdict: "accept" };
  for (const line of text.split("\n")) {
    const m = EVENT.exec(line.trim());
    if (!m) continue;
    const [, id = "", table = "", chain = "", rest = ""] = m;
    if (rest.startsWith("packet:")) packetOf.set(id, packetKey(rest));
    first ??= packetOf.get(id);
    if (table === skipTable || packetOf.get(id) !== first) continue;
    const where = `${table} ${chain}`;
    if (/\bdnat to\b|xt target "DNAT"/.test(rest)) hop.dnat = where;
    if (/\bmasquerade\b|xt target "MASQUERADE"|\bsnat to\b|xt target "SNAT"/.test(rest)) hop.masquerade = true;
    if (/\(verdict drop\)$|^policy drop/.test(rest)) {
      hop.verdict = /\breject\b|xt target "REJECT"/.test(rest) ? "reject" : "drop";
      hop.rule = `${where}: ${rest.replace(/^rule /, "").replace(/ \(verdict drop\)$/, "")}`;
    }
  }
  return first === undefined ? undefined : hop;
}

const chainOfRule = (r: string) => {
  const ipt = /^(\w+): -A (\S+) /.exec(r);
  if (ipt) return `${ipt[1]} ${ipt[2]}`;
  const nft = /^(?:ip|ip6|inet) (\S+) (\S+): /.exec(r);
  return nft ? `${nft[1]} ${nft[2]}` : undefined;
};

/** predictedHop is a walked hop in the kernel trace's terms. */
export function predictedHop(h: Hop, verdict: KernelHop["verdict"]): KernelHop {
  const dnat = h.rules.find((r) => /-j DNAT\b|\bdnat to\b/.test(r));
  const last = h.rules.at(-1);
  return {
    node: h.node,
    ...(dnat ? { dnat: chainOfRule(dnat) } : {}),
    masquerade: h.masquerade,
    verdict,
    ...(verdict !== "accept" && last ? { rule: last } : {}),
  };
}

/** sameHop says whether the kernel's hop is the predicted one: the same node, DNAT chain and verdict. */
export const sameHop = (k: KernelHop, p: KernelHop) =>
  k.node === p.node &&
  k.dnat === p.dnat &&
  k.verdict === p.verdict &&
  (k.verdict === "accept" || chainOfRule(p.rule ?? "") === k.rule?.split(": ")[0]);

/** traceTable is the trace table: nftrace set on the flows as each node sees them, before any other chain. */
function traceTable(t: Table, flows: Flow[]): string {
  const f = t.family;
  const match = [...new Set(flows.map((x) => `${f} saddr ${x.src} ${f} daddr ${x.dst} meta l4proto ${x.proto} th dport ${x.dport}`))];
  const chain = (c: string, hook: string) => [
    `add chain ${f} ${t.name} ${c} { type filter hook ${hook} priority -400 ; }`,
    ...match.map((m) => `add rule ${f} ${t.name} ${c} ${m} meta nftrace set 1`),
  ];
  return [`add table ${f} ${t.name}`, ...chain("pre", "prerouting"), ...chain("out", "output")].join("\n");
}

/** Table names the trace table: its family (that of the flow) and its name. */
interface Table {
  family: "ip" | "ip6";
  name: string;
}

interface Monitor {
  text: string;
  stream: Stream;
  seen(line: string, timeoutMs?: number): Promise<void>;
}

function monitor(exec: Executor, netns: string): Monitor {
  const waiters: { line: string; done: () => void }[] = [];
  const m: Monitor = {
    text: "",
    stream: exec.stream({ argv: ["nft", "monitor"], netns }, (chunk) => {
      m.text += chunk.toString();
      for (const w of waiters.filter((x) => m.text.includes(x.line))) w.done();
    }),
    seen: (line, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        if (m.text.includes(line)) return resolve();
        const timer = setTimeout(() => reject(new Error(`nft monitor in ${netns} did not report "${line}"`)), timeoutMs);
        waiters.push({ line, done: () => (clearTimeout(timer), resolve()) });
      }),
  };
  return m;
}

/** listening returns once the monitor reports a change: a marker chain is added until it does. */
async function listening(exec: Executor, netns: string, m: Monitor, t: Table): Promise<void> {
  for (let k = 0; ; k++) {
    await exec.run({ argv: ["nft", "add", "chain", t.family, t.name, `ready${k}`], netns });
    const ok = await m.seen(`add chain ${t.family} ${t.name} ready${k}`, 250).then(
      () => true,
      (e: unknown) => (k < 40 ? false : Promise.reject(e)),
    );
    if (ok) return;
  }
}

/** kernelTrace runs send with the flows traced on the nodes, and returns what each node's kernel did with the first packet. */
export async function kernelTrace(
  exec: Executor,
  nodes: { name: string; netns: string }[],
  flows: Flow[],
  send: () => Promise<void>,
): Promise<KernelHop[]> {
  const t: Table = { family: flows[0]?.dst.includes(":") ? "ip6" : "ip", name: `podnet-trace-${randomBytes(3).toString("hex")}` };
  const mons = nodes.map((n) => ({ ...n, m: monitor(exec, n.netns) }));
  try {
    await Promise.all(nodes.map((n) => exec.run({ argv: ["nft", "-f", "-"], stdin: traceTable(t, flows), netns: n.netns })));
    await Promise.all(mons.map((x) => listening(exec, x.netns, x.m, t)));
    await send();
  } finally {
    // Removed on every node, also where the add failed (nothing to delete there): the monitors report the delete after the packets.
    const del = ["nft", "delete", "table", t.family, t.name];
    await Promise.all(nodes.map((n) => exec.run({ argv: del, netns: n.netns, okCodes: [0, 1] })));
    await Promise.all(mons.map((x) => x.m.seen(`delete table ${t.family} ${t.name}`).catch(() => undefined)));
    for (const x of mons) x.m.stream.stop();
  }
  return mons.flatMap((x) => parseMonitor(x.name, x.m.text, t.name) ?? []);
}
