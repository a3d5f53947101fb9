/**
 * `lab doctor`: the troubleshooting guide's checklist, run against the lab as it is — each node's
 * settings and agents, pods on one node, pods across every pair of nodes (with full-size packets),
 * a ClusterIP from every node, DNS from every node, egress to the external host — and every failure
 * narrowed to a cause with its evidence (src/doctor). It probes from the pods that run and changes
 * nothing: a doctor that reconciled would heal the fault it is looking for.
 */
import { fileURLToPath } from "node:url";
import { CAUSES, type CheckResult, failed, type Finding } from "../../doctor/causes.js";
import { mtuFinding, type NodeFacts, nodeConfigFinding, pathFinding, serviceFinding } from "../../doctor/diagnose.js";
import type { EndpointSlice, Service } from "../../model/types.js";
import { DNS_SERVICE_IPS } from "../dns.js";
import type { Lab } from "../lab.js";
import { routingDesired } from "../network.js";
import type { Sandbox } from "../sandbox.js";
import { EXTERNAL } from "../topology.js";
import { agentProblems, nodeFacts } from "./facts.js";

const CLIENT = fileURLToPath(new URL("../echo/client.js", import.meta.url));
/** BIG is the body the cross-node probe fetches: several full-size segments, so an MTU black hole shows. */
const BIG = 6000;

const ok = (name: string, detail: string): CheckResult => ({ name, ok: true, detail });

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

/** runDoctor runs every check and returns them in checklist order. */
export async function runDoctor(lab: Lab): Promise<CheckResult[]> {
  const cfg = lab.config();
  const desired = await routingDesired(lab.store, cfg);
  const facts = await Promise.all(cfg.nodes.map((n) => nodeFacts(lab.exec, lab.paths, cfg, desired.get(n.name), n.name)));
  const factsOf = (node: string) => facts.find((f) => f.node === node) as NodeFacts;
  const { services, slices } = await lab.store.read((tx) => ({
    services: tx.list<Service>("Service"),
    slices: tx.list<EndpointSlice>("EndpointSlice"),
  }));
  // Probes run from pods with an echo workload (not the DNS pods), the first two of each node.
  const probes = new Map(
    cfg.nodes.map((n) => [
      n.name,
      lab
        .nodeRuntime(cfg, n.name)
        .sandboxes.list()
        .filter((s) => !s.creating && !s.statusFile && s.tcp.length > 0 && s.ips.length > 0)
        .slice(0, 2),
    ]),
  );
  const checks: CheckResult[] = [];
  for (const [node, ps] of probes)
    if (ps.length < 2)
      checks.push({
        name: `probes/${node}`,
        ok: true,
        skipped: `${ps.length} pod(s) with a TCP port on ${node}: the pod checks that need ${ps.length ? "two" : "one"} skip it`,
      });
  const at = (s: Sandbox, path = "/") => `http://${s.ips[0]}:${s.tcp[0]}${path}`;
  const parallel = async (work: (() => Promise<CheckResult>)[]) => checks.push(...(await Promise.all(work.map((w) => w()))));
  /** fromEachNode runs a check from the first probe pod of every node that has one, all at once. */
  const fromEachNode = (check: (node: string, a: Sandbox) => Promise<CheckResult>) =>
    parallel(
      cfg.nodes.flatMap((n) => {
        const [a] = probes.get(n.name) ?? [];
        return a ? [() => check(n.name, a)] : [];
      }),
    );

  for (const f of facts) {
    const c = nodeConfigFinding(f);
    checks.push(
      c
        ? failed(`node-config/${f.node}`, CAUSES[c.cause].summary, c)
        : ok(`node-config/${f.node}`, "forwarding on, FORWARD accepts, rp_filter not strict"),
    );
  }
  const mtu = mtuFinding(facts);
  checks.push(mtu ? failed("underlay-mtu", CAUSES[mtu.cause].summary, mtu) : ok("underlay-mtu", `every uplink at ${facts[0]?.uplink.mtu}`));
  for (const n of cfg.nodes) {
    const problems = agentProblems(lab.paths, n.name);
    const proxyDead = !factsOf(n.name).proxy.running;
    const finding: Finding = { cause: proxyDead ? "proxy-down" : "agent-error", evidence: problems };
    checks.push(
      problems.length
        ? failed(`control-plane/${n.name}`, "the node's agents", finding)
        : ok(`control-plane/${n.name}`, "proxy, policy and QoS agents run and report no error"),
    );
  }

  await parallel(
    cfg.nodes.flatMap((n) => {
      const [a, b] = probes.get(n.name) ?? [];
      if (!a || !b) return [];
      return [
        async () => {
          const [line] = await fetch(lab, a, [at(b)]);
          const name = `pods-same-node/${n.name}`;
          return answered(line)
            ? ok(name, `${a.name} -> ${b.name}`)
            : failed(name, `${a.name} -> ${b.name}: ${why(line)}`, pathFinding([factsOf(n.name)], facts));
        },
      ];
    }),
  );
  await parallel(
    cfg.nodes.flatMap((src) =>
      cfg.nodes.flatMap((dst) => {
        const [a] = probes.get(src.name) ?? [];
        const [b] = probes.get(dst.name) ?? [];
        if (src === dst || !a || !b) return [];
        return [
          async () => {
            const [line] = await fetch(lab, a, [at(b, `/bytes/${BIG}`)]);
            const name = `pods-cross-node/${src.name}->${dst.name}`;
            const detail = `${a.name} -> ${b.name}, ${BIG} bytes`;
            return answered(line) && (line?.length ?? 0) >= BIG
              ? ok(name, detail)
              : failed(name, `${detail}: ${why(line)}`, pathFinding([factsOf(src.name), factsOf(dst.name)], facts));
          },
        ];
      }),
    ),
  );
  // A ClusterIP Service whose endpoints are probe pods: from every node's probe pod.
  const all = [...probes.values()].flat();
  const svc = services.find(
    (s) =>
      s.metadata.namespace !== "kube-system" &&
      s.spec.clusterIP &&
      s.spec.clusterIP !== "None" &&
      readyEndpoints(slices, s).some((ep) => all.some((p) => p.ips.includes(ep.ip))),
  );
  const port = svc?.spec.ports?.find((p) => (p.protocol ?? "TCP") === "TCP")?.port;
  /** via is the path to a Service's endpoints: the client's node, then the endpoints' nodes. */
  const via = (node: string, eps: { node?: string }[]) => [
    factsOf(node),
    ...facts.filter((f) => f.node !== node && eps.some((e) => e.node === f.node)),
  ];
  const eps = svc ? readyEndpoints(slices, svc) : [];
  if (svc && port !== undefined)
    await fromEachNode(async (node, a) => {
      const [line] = await fetch(lab, a, [`http://${svc.spec.clusterIP}:${port}/`]);
      const detail = `${a.name} -> ${svc.metadata.namespace}/${svc.metadata.name} ${svc.spec.clusterIP}:${port}`;
      if (answered(line)) return ok(`service/${node}`, detail);
      const f = serviceFinding(factsOf(node), eps.length, () => pathFinding(via(node, eps), facts));
      return failed(`service/${node}`, `${detail}: ${why(line)}`, f);
    });
  if (cfg.dns) {
    const dnsSvc = services.find((s) => s.metadata.namespace === "kube-system" && s.metadata.name === "kube-dns");
    const dnsEps = dnsSvc ? readyEndpoints(slices, dnsSvc) : [];
    await fromEachNode(async (node, a) => {
      const q = "kube-dns.kube-system.svc.cluster.local";
      const r = await lab.exec
        .run({ argv: ["dig", "+short", "+time=2", "+tries=1", q], netns: a.netns, netnsFiles: true, timeoutMs: 15_000 })
        .catch(() => ({ stdout: "" }));
      const detail = `${a.name} asks ${DNS_SERVICE_IPS[4]} for ${q}`;
      if (r.stdout.trim() === DNS_SERVICE_IPS[4]) return ok(`dns/${node}`, detail);
      if (dnsEps.length === 0)
        return failed(`dns/${node}`, detail, { cause: "dns-no-endpoints", evidence: ["kube-system/kube-dns has no ready endpoint"] });
      const f = serviceFinding(factsOf(node), dnsEps.length, () => pathFinding(via(node, dnsEps), facts));
      return failed(
        `dns/${node}`,
        `${detail}: no answer`,
        f.cause === "unknown" ? { cause: "dns-not-answering", evidence: f.evidence } : f,
      );
    });
  }
  await fromEachNode(async (node, a) => {
    const [line] = await fetch(lab, a, [`http://${EXTERNAL.host}/`]);
    const detail = `${a.name} -> the external host ${EXTERNAL.host}`;
    return answered(line)
      ? ok(`egress/${node}`, detail)
      : failed(`egress/${node}`, `${detail}: ${why(line)}`, pathFinding([factsOf(node)], facts));
  });
  return checks;
}
