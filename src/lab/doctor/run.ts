/**
 * `lab doctor`: the troubleshooting guide's checklist, run against the lab as it is — each node's
 * settings and agents, then the probes with real traffic (probes.ts) — and every failure narrowed to
 * a cause with its evidence (src/doctor). It changes nothing: a doctor that reconciled would heal
 * the fault it is looking for.
 */
import { CAUSES, type CheckResult, failed, type Finding } from "../../doctor/causes.js";
import { mtuFinding, nodeConfigFinding } from "../../doctor/diagnose.js";
import type { EndpointSlice, Service } from "../../model/types.js";
import type { Lab } from "../lab.js";
import { routingDesired } from "../network.js";
import { agentProblems, nodeFacts } from "./facts.js";
import { type DoctorContext, dnsChecks, egressChecks, ok, podChecks, serviceChecks } from "./probes.js";

/** nodeChecks: every node's settings, the underlay's MTU, every node's agents. */
function nodeChecks(c: DoctorContext): CheckResult[] {
  const out = c.facts.map((f) => {
    const finding = nodeConfigFinding(f);
    const name = `node-config/${f.node}`;
    return finding
      ? failed(name, CAUSES[finding.cause].summary, finding)
      : ok(name, "forwarding on, FORWARD accepts, rp_filter not strict");
  });
  const mtu = mtuFinding(c.facts);
  out.push(mtu ? failed("underlay-mtu", CAUSES[mtu.cause].summary, mtu) : ok("underlay-mtu", `every uplink at ${c.facts[0]?.uplink.mtu}`));
  for (const f of c.facts) {
    const problems = agentProblems(c.lab.paths, f.node);
    const finding: Finding = { cause: f.proxy.running ? "agent-error" : "proxy-down", evidence: problems };
    const name = `control-plane/${f.node}`;
    out.push(
      problems.length ? failed(name, "the node's agents", finding) : ok(name, "proxy, policy and QoS agents run and report no error"),
    );
  }
  return out;
}

/** skipped notes the nodes with too few pods to probe from. */
function skipped(c: DoctorContext): CheckResult[] {
  return [...c.probes].flatMap(([node, ps]) =>
    ps.length >= 2
      ? []
      : [
          {
            name: `probes/${node}`,
            ok: true,
            skipped: `${ps.length} pod(s) with a TCP port on ${node}: the pod checks that need ${ps.length ? "two" : "one"} skip it`,
          },
        ],
  );
}

/** runDoctor runs every check and returns them in checklist order. */
export async function runDoctor(lab: Lab): Promise<CheckResult[]> {
  const cfg = lab.config();
  const desired = await routingDesired(lab.store, cfg);
  const { services, slices } = await lab.store.read((tx) => ({
    services: tx.list<Service>("Service"),
    slices: tx.list<EndpointSlice>("EndpointSlice"),
  }));
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
  const facts = await Promise.all(cfg.nodes.map((n) => nodeFacts(lab.exec, lab.paths, cfg, desired.get(n.name), n.name)));
  const c: DoctorContext = { lab, cfg, facts, probes, services, slices };
  const [pods, svc, dns, egress] = await Promise.all([podChecks(c), serviceChecks(c), dnsChecks(c), egressChecks(c)]);
  return [...skipped(c), ...nodeChecks(c), ...pods, ...svc, ...dns, ...egress];
}
