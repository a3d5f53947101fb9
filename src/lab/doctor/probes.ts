/**
 * The checks doctor makes with real traffic, from the pods that run: pods on one node, across every
 * ordered pair of nodes (full-size packets), a ClusterIP and DNS from every node, egress to the
 * external host. A failure is narrowed by the pure functions of src/doctor over the nodes' facts.
 */
import { fileURLToPath } from "node:url";
import { type CheckResult, failed } from "../../doctor/causes.js";
import { type NodeFacts, pathFinding, serviceFinding } from "../../doctor/diagnose.js";
import type { EndpointSlice, Service } from "../../model/types.js";
import type { LabConfig } from "../config.js";
import { DNS_SERVICE_IPS } from "../dns.js";
import type { Lab } from "../lab.js";
import type { Sandbox } from "../sandbox.js";
import { EXTERNAL } from "../topology.js";

const CLIENT = fileURLToPath(new URL("../echo/client.js", import.meta.url));
/** BIG is the body the cross-node probe fetches: several full-size segments, so an MTU black hole shows. */
const BIG = 6000;

/** DoctorContext is what the probes need: the lab, the nodes' facts, the probe pods of each node and the store's Services. */
export interface DoctorContext {
  lab: Lab;
  cfg: LabConfig;
  facts: NodeFacts[];
  /** probes are the pods each node's checks start from (or target): the first two serving TCP, not the DNS pods. */
  probes: Map<string, Sandbox[]>;
  services: Service[];
  slices: EndpointSlice[];
}

/** ok is a passed check. */
export const ok = (name: string, detail: string): CheckResult => ({ name, ok: true, detail });

/** fetch runs the lab's client in a pod and returns one line per URL (a body, or {"error": …}; --count=1 gives one URL that shape too). */
async function fetch(lab: Lab, from: Sandbox, urls: string[]): Promise<string[]> {
  const r = await lab.exec.run({
    argv: [process.execPath, CLIENT, "--timeout=3000", ...(urls.length === 1 ? ["--count=1"] : []), ...urls],
    netns: from.netns,
    netnsFiles: true,
    env: { NODE_EXTRA_CA_CERTS: undefined },
    okCodes: [0, 1],
    timeoutMs: 30_000,
  });
  return r.stdout.split("\n").slice(0, urls.length);
}
const answered = (line: string | undefined) => line !== undefined && line !== "" && !line.startsWith('{"error"');
const why = (line: string | undefined) => (line?.startsWith('{"error"') ? (JSON.parse(line) as { error: string }).error : "no answer");
const at = (s: Sandbox, path = "/") => `http://${s.ips[0]}:${s.tcp[0]}${path}`;

/** readyEndpoints are a Service's ready endpoints: address and node. */
function readyEndpoints(slices: EndpointSlice[], svc: Service): { ip: string; node?: string }[] {
  const mine = (s: EndpointSlice) =>
    s.metadata.namespace === svc.metadata.namespace && s.metadata.labels?.["kubernetes.io/service-name"] === svc.metadata.name;
  return slices
    .filter(mine)
    .flatMap((s) =>
      s.endpoints.filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses.map((ip) => ({ ip, node: e.nodeName }))),
    );
}

const factsOf = (c: DoctorContext, node: string) => c.facts.find((f) => f.node === node) as NodeFacts;
/** via is the path to a Service's endpoints: the client's node, then the endpoints' nodes. */
const via = (c: DoctorContext, node: string, eps: { node?: string }[]) => [
  factsOf(c, node),
  ...c.facts.filter((f) => f.node !== node && eps.some((e) => e.node === f.node)),
];

/** fromEachNode runs a check from the first probe pod of every node that has one, all at once. */
function fromEachNode(c: DoctorContext, check: (node: string, a: Sandbox) => Promise<CheckResult>): Promise<CheckResult[]> {
  return Promise.all(
    c.cfg.nodes.flatMap((n) => {
      const [a] = c.probes.get(n.name) ?? [];
      return a ? [check(n.name, a)] : [];
    }),
  );
}

/** podChecks: pods on one node, and across every ordered pair of nodes. */
export async function podChecks(c: DoctorContext): Promise<CheckResult[]> {
  const same = c.cfg.nodes.flatMap((n) => {
    const [a, b] = c.probes.get(n.name) ?? [];
    if (!a || !b) return [];
    return [
      fetch(c.lab, a, [at(b)]).then(([line]) => {
        const name = `pods-same-node/${n.name}`;
        if (answered(line)) return ok(name, `${a.name} -> ${b.name}`);
        return failed(name, `${a.name} -> ${b.name}: ${why(line)}`, pathFinding([factsOf(c, n.name)], c.facts));
      }),
    ];
  });
  const cross = c.cfg.nodes.flatMap((src) =>
    c.cfg.nodes.flatMap((dst) => {
      const [a] = c.probes.get(src.name) ?? [];
      const [b] = c.probes.get(dst.name) ?? [];
      if (src === dst || !a || !b) return [];
      return [
        fetch(c.lab, a, [at(b, `/bytes/${BIG}`)]).then(([line]) => {
          const name = `pods-cross-node/${src.name}->${dst.name}`;
          const detail = `${a.name} -> ${b.name}, ${BIG} bytes`;
          if (answered(line) && (line?.length ?? 0) >= BIG) return ok(name, detail);
          return failed(name, `${detail}: ${why(line)}`, pathFinding([factsOf(c, src.name), factsOf(c, dst.name)], c.facts));
        }),
      ];
    }),
  );
  return Promise.all([...same, ...cross]);
}

/** serviceChecks: a ClusterIP Service whose endpoints are probe pods, from every node. */
export async function serviceChecks(c: DoctorContext): Promise<CheckResult[]> {
  const all = [...c.probes.values()].flat();
  const svc = c.services.find(
    (s) =>
      s.metadata.namespace !== "kube-system" &&
      s.spec.clusterIP &&
      s.spec.clusterIP !== "None" &&
      readyEndpoints(c.slices, s).some((ep) => all.some((p) => p.ips.includes(ep.ip))),
  );
  const port = svc?.spec.ports?.find((p) => (p.protocol ?? "TCP") === "TCP")?.port;
  if (!svc || port === undefined) return [];
  const eps = readyEndpoints(c.slices, svc);
  return fromEachNode(c, async (node, a) => {
    const [line] = await fetch(c.lab, a, [`http://${svc.spec.clusterIP}:${port}/`]);
    const detail = `${a.name} -> ${svc.metadata.namespace}/${svc.metadata.name} ${svc.spec.clusterIP}:${port}`;
    if (answered(line)) return ok(`service/${node}`, detail);
    const f = serviceFinding(factsOf(c, node), eps.length, () => pathFinding(via(c, node, eps), c.facts));
    return failed(`service/${node}`, `${detail}: ${why(line)}`, f);
  });
}

/** dnsChecks: the cluster DNS from every node, through the pod's resolv.conf. */
export async function dnsChecks(c: DoctorContext): Promise<CheckResult[]> {
  if (!c.cfg.dns) return [];
  const dnsSvc = c.services.find((s) => s.metadata.namespace === "kube-system" && s.metadata.name === "kube-dns");
  const eps = dnsSvc ? readyEndpoints(c.slices, dnsSvc) : [];
  const q = "kube-dns.kube-system.svc.cluster.local";
  return fromEachNode(c, async (node, a) => {
    const r = await c.lab.exec
      .run({ argv: ["dig", "+short", "+time=2", "+tries=1", q], netns: a.netns, netnsFiles: true, timeoutMs: 15_000 })
      .catch(() => ({ stdout: "" }));
    const detail = `${a.name} asks ${DNS_SERVICE_IPS[4]} for ${q}`;
    if (r.stdout.trim() === DNS_SERVICE_IPS[4]) return ok(`dns/${node}`, detail);
    if (eps.length === 0)
      return failed(`dns/${node}`, detail, { cause: "dns-no-endpoints", evidence: ["kube-system/kube-dns has no ready endpoint"] });
    const f = serviceFinding(factsOf(c, node), eps.length, () => pathFinding(via(c, node, eps), c.facts));
    return failed(`dns/${node}`, `${detail}: no answer`, f.cause === "unknown" ? { cause: "dns-not-answering", evidence: f.evidence } : f);
  });
}

/** egressChecks: the external host from every node. */
export function egressChecks(c: DoctorContext): Promise<CheckResult[]> {
  return fromEachNode(c, async (node, a) => {
    const [line] = await fetch(c.lab, a, [`http://${EXTERNAL.host}/`]);
    const detail = `${a.name} -> the external host ${EXTERNAL.host}`;
    if (answered(line)) return ok(`egress/${node}`, detail);
    return failed(`egress/${node}`, `${detail}: ${why(line)}`, pathFinding([factsOf(c, node)], c.facts));
  });
}
