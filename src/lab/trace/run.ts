/**
 * `lab trace SRC DST`: where SRC is a pod, `node/NAME` or `external`, and DST an IP, a pod or
 * `svc/NAME` (each with `:PORT` and `/tcp|/udp`). The flow is walked from the source's node
 * (walk.ts) over views of the nodes read once; `--verify` then opens a real connection of that
 * flow and says whether the kernel agreed: the pod that answered is among the predicted, or the
 * connection failed where a drop or reject was predicted.
 */
import { fileURLToPath } from "node:url";
import { hostVethName } from "../../cni/names.js";
import { vxlanDev } from "../../routing/vxlan.js";
import type { Service } from "../../model/types.js";
import { parseCIDR } from "../../util/ip.js";
import type { Lab } from "../lab.js";
import { externalNetns, LabError, nodeNetns, underlayNetns } from "../layout.js";
import type { Sandbox } from "../sandbox.js";
import { EXTERNAL, EXTERNAL6 } from "../topology.js";
import { type KernelHop, kernelTrace, predictedHop, sameHop } from "./kernel.js";
import { type NodeView, readNode } from "./view.js";
import { type Flow, type LabMap, type Path, walk } from "./walk.js";

/** TraceResult is what `lab trace` prints: the flow, every path with its probability, and the kernel's verdict if asked. */
export interface TraceResult {
  from: string;
  flow: Flow;
  paths: Path[];
  verify?: Verdict;
}

const CLIENT = fileURLToPath(new URL("../echo/client.js", import.meta.url));

function sandboxes(lab: Lab): Sandbox[] {
  const cfg = lab.config();
  return cfg.nodes.flatMap((n) =>
    lab
      .nodeRuntime(cfg, n.name)
      .sandboxes.list()
      .filter((s) => !s.creating),
  );
}

/** Target is a parsed destination: a name or address, its port and protocol. */
interface Target {
  name: string;
  port?: number;
  proto: "tcp" | "udp";
}

/** parseTarget splits `NAME[:PORT][/PROTO]`; an IPv6 address takes a port in brackets (`[fd00::1]:80`). */
export function parseTarget(s: string): Target {
  const proto = (/\/(tcp|udp)$/i.exec(s)?.[1]?.toLowerCase() ?? "tcp") as "tcp" | "udp";
  const rest = s.replace(/\/(tcp|udp)$/i, "");
  const m = /^\[([0-9a-f:.]+)\](?::(\d+))?$/i.exec(rest) ?? (rest.split(":").length > 2 ? [rest, rest] : /^([^:]+)(?::(\d+))?$/.exec(rest));
  if (!m?.[1]) throw new LabError(`failed to trace: bad destination "${s}": want IP, [IPv6], POD or svc/NAME, with :PORT and /tcp or /udp`);
  return { name: m[1], ...(m[2] ? { port: Number(m[2]) } : {}), proto };
}

const familyOf = (ip: string): 4 | 6 => (ip.includes(":") ? 6 : 4);

/** resolveDst turns the destination into an address of the family and a port. */
async function resolveDst(
  lab: Lab,
  ns: string,
  dst: string,
  family: 4 | 6 | undefined,
): Promise<{ ip: string; port: number; proto: "tcp" | "udp" }> {
  const t = parseTarget(dst);
  const pick = (ips: string[]) => ips.find((ip) => family === undefined || familyOf(ip) === family);
  if (t.name.startsWith("svc/")) {
    const name = t.name.slice(4);
    const svc = await lab.store.read((tx) => tx.get<Service>({ kind: "Service", namespace: ns, name }));
    const ip = pick((svc?.spec.clusterIPs ?? [svc?.spec.clusterIP ?? ""]).filter((x) => x && x !== "None"));
    if (!ip) throw new LabError(`failed to trace: service "${ns}/${name}" has no${family ? ` IPv${family}` : ""} ClusterIP`);
    const port = t.port ?? svc?.spec.ports?.find((p) => (p.protocol ?? "TCP").toLowerCase() === t.proto)?.port;
    if (!port) throw new LabError(`failed to trace: service "${ns}/${name}" has no ${t.proto} port`);
    return { ip, port, proto: t.proto };
  }
  if (parseCIDR(`${t.name}/${t.name.includes(":") ? 128 : 32}`)) return { ip: t.name, port: t.port ?? 80, proto: t.proto };
  const pod = sandboxes(lab).find((s) => s.namespace === ns && s.name === t.name);
  const ip = pick(pod?.ips ?? []);
  if (!pod || !ip) throw new LabError(`failed to trace: no running pod "${ns}/${t.name}"${family ? ` with an IPv${family} address` : ""}`);
  return { ip, port: t.port ?? (t.proto === "udp" ? pod.udp[0] : pod.tcp[0]) ?? 80, proto: t.proto };
}

/** labMap builds the walk's view of the lab, reading each node when the walk first reaches it. */
async function labMap(lab: Lab): Promise<LabMap> {
  const cfg = lab.config();
  const views = new Map<string, Promise<NodeView>>();
  const pods = new Map(sandboxes(lab).flatMap((s) => s.ips.map((ip) => [ip, { pod: `${s.namespace}/${s.name}`, node: s.node }] as const)));
  return {
    view: (node) => {
      if (!views.has(node)) views.set(node, readNode(lab.exec, cfg, node));
      return views.get(node) as Promise<NodeView>;
    },
    podAt: (ip) => pods.get(ip),
    nodeAt: (ip) => cfg.nodes.find((n) => n.ip === ip || n.ip6 === ip)?.name,
    vxlanDev: vxlanDev(cfg.routing),
  };
}

/** runTrace walks the flow and, with verify, checks it against a real connection. */
export async function runTrace(
  lab: Lab,
  o: { namespace: string; src: string; dst: string; verify: boolean; family?: 4 | 6 },
): Promise<TraceResult> {
  const cfg = lab.config();
  const d = await resolveDst(lab, o.namespace, o.dst, o.family);
  const v6 = familyOf(d.ip) === 6;
  const map = await labMap(lab);
  let paths: Path[];
  let flow: Flow;
  let netns: string;
  if (o.src === "external") {
    // The underlay hands the packet to the node it routes the address to, or to the node that owns it.
    const via = await readUnderlayGateway(lab, d.ip);
    const node = (via && map.nodeAt(via)) || map.nodeAt(d.ip);
    flow = { src: v6 ? EXTERNAL6.host : EXTERNAL.host, dst: d.ip, proto: d.proto, dport: d.port };
    netns = externalNetns(lab.name);
    paths = node
      ? await walk(map, node, "outside", "eth0", flow)
      : [{ probability: 1, hops: [], outcome: { kind: "no-route", node: "underlay", error: `the underlay routes ${d.ip} to no node` } }];
  } else if (o.src.startsWith("node/")) {
    const node = o.src.slice(5);
    const n = cfg.nodes.find((x) => x.name === node);
    const src = v6 ? n?.ip6 : n?.ip;
    if (!src) throw new LabError(`failed to trace: no node "${node}"${v6 ? " with an IPv6 address" : ""}`);
    flow = { src, dst: d.ip, proto: d.proto, dport: d.port };
    netns = nodeNetns(lab.name, node);
    paths = await walk(map, node, "node", undefined, flow);
  } else {
    const s = sandboxes(lab).find((x) => x.namespace === o.namespace && x.name === o.src);
    const src = s?.ips.find((ip) => familyOf(ip) === familyOf(d.ip));
    if (!s || !src) throw new LabError(`failed to trace: no running pod "${o.namespace}/${o.src}" with an IPv${familyOf(d.ip)} address`);
    const iif = cfg.cniMode === "routed" ? hostVethName(s.containerId, "eth0") : "cni0";
    flow = { src, dst: d.ip, proto: d.proto, dport: d.port };
    netns = s.netns;
    // A pod's packets to its own address never leave its namespace: no node sees them.
    paths = s.ips.includes(d.ip)
      ? [{ probability: 1, hops: [], outcome: { kind: "delivered", pod: `${s.namespace}/${s.name}`, ip: d.ip, port: d.port } }]
      : await walk(map, s.node, "outside", iif, flow);
  }
  const result: TraceResult = { from: o.src, flow, paths };
  if (o.verify) result.verify = await verify(lab, netns, flow, paths);
  return result;
}

async function readUnderlayGateway(lab: Lab, dst: string): Promise<string | undefined> {
  const r = await lab.exec.run({ argv: ["ip", "-j", "route", "get", dst], netns: underlayNetns(lab.name) }).catch(() => undefined);
  const route = r ? (JSON.parse(r.stdout) as { gateway?: string }[])[0] : undefined;
  return route?.gateway;
}

/** Verdict is what a real connection of the flow showed: what answered and, where the nodes offer it, the kernel's own trace. */
export interface Verdict {
  agreed: boolean;
  observed: string;
  /** kernel is what each node's kernel did with the first packet (nft trace), when the lab's rules are all nftables. */
  kernel?: KernelHop[];
}

/** send opens one real connection of the flow from netns and says what answered. */
async function send(
  lab: Lab,
  netns: string,
  flow: Flow,
): Promise<{ pod?: string; namespace?: string; error?: string; node?: string; line: string }> {
  const host = flow.dst.includes(":") ? `[${flow.dst}]` : flow.dst;
  const url = flow.proto === "udp" ? `udp://${host}:${flow.dport}` : `http://${host}:${flow.dport}/`;
  const r = await lab.exec.run({
    argv: [process.execPath, CLIENT, "--timeout=2000", "--count=1", url],
    netns,
    netnsFiles: true,
    env: { NODE_EXTRA_CA_CERTS: undefined },
    okCodes: [0, 1],
  });
  const line = r.stdout.trim();
  return { ...(line.startsWith("{") ? (JSON.parse(line) as object) : {}), line };
}

/** kernelAgrees says whether some predicted path did on every node what the kernel's trace says it did there. */
function kernelAgrees(kernel: KernelHop[], paths: Path[]): boolean {
  return paths.some((p) => {
    const mine = p.hops.map((h, i) => {
      const last = i === p.hops.length - 1;
      const verdict = last && p.outcome.kind === "rejected" ? "reject" : last && p.outcome.kind === "dropped" ? "drop" : "accept";
      return predictedHop(h, verdict);
    });
    return mine.length === kernel.length && kernel.every((k) => mine.some((h) => sameHop(k, h)));
  });
}

/** verify opens one real connection of the flow and compares what answered (and the kernel's trace) with the paths. */
async function verify(lab: Lab, netns: string, flow: Flow, paths: Path[]): Promise<Verdict> {
  const cfg = lab.config();
  let answer: Awaited<ReturnType<typeof send>> = { line: "" };
  const sending = async () => {
    answer = await send(lab, netns, flow);
  };
  const traced = cfg.iptables !== "legacy";
  const flows = [flow, ...paths.flatMap((p) => p.hops.map((h) => h.flow))];
  const kernel = traced
    ? await kernelTrace(
        lab.exec,
        cfg.nodes.map((n) => ({ name: n.name, netns: nodeNetns(lab.name, n.name) })),
        flows,
        sending,
      )
    : (await sending(), undefined);
  const withKernel = (v: { agreed: boolean; observed: string }): Verdict =>
    kernel ? { ...v, agreed: v.agreed && kernelAgrees(kernel, paths), kernel } : v;
  const failed = paths.filter((p) => p.outcome.kind === "rejected" || p.outcome.kind === "dropped" || p.outcome.kind === "no-route");
  if (answer.error || !answer.pod) return withKernel({ agreed: failed.length > 0, observed: `no answer (${answer.error ?? answer.line})` });
  const who = answer.node === "external" ? "the external host" : `${answer.namespace}/${answer.pod}`;
  const predicted = paths.some(
    (p) => (p.outcome.kind === "delivered" && p.outcome.pod === who) || (p.outcome.kind === "underlay" && answer.node === "external"),
  );
  return withKernel({ agreed: predicted, observed: `answered by ${who}` });
}
