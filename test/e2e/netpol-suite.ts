/**
 * NetworkPolicy truth tables, in the style of the upstream netpol e2e suite: namespaces x, y, z
 * with pods a, b, c over two nodes; every pod probes every other pod on 80/TCP, 81/TCP and 80/UDP
 * after each policy set, and the observed matrix must equal what an independent model computes.
 * (A denied UDP probe waits for its timeout: nothing answers a datagram, and REJECT's ICMP error
 * does not reach an unconnected socket.)
 */
import assert from "node:assert/strict";
import type { Pod } from "../../src/model/types.js";
import type { TestLab } from "./helpers.js";
import { CASES } from "./netpol-cases.js";
import { allowed, type Cluster, type MPod, type MPolicy } from "./netpol-model.js";

type List<T> = { kind: string; items: T[] };

const PORTS = [
  { port: 80, protocol: "TCP", url: (ip: string) => `http://${ip}:80/` },
  { port: 81, protocol: "TCP", url: (ip: string) => `http://${ip}:81/` },
  { port: 80, protocol: "UDP", url: (ip: string) => `udp://${ip}:80` },
] as const;

/** PODS_YAML is the x/y/z × a/b/c cluster; pods alternate between the nodes. */
export function podsYaml(): string {
  const docs = ["x", "y", "z"].map((ns) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}, labels: {ns: ${ns}}}\n`);
  let i = 0;
  for (const ns of ["x", "y", "z"])
    for (const name of ["a", "b", "c"])
      docs.push(`apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, labels: {pod: ${name}}}
spec:
  nodeName: node-${(i++ % 2) + 1}
  containers:
  - name: c
    image: echo
    ports: [{name: serve-80-tcp, containerPort: 80}, {name: serve-81-tcp, containerPort: 81}, {name: serve-80-udp, containerPort: 80, protocol: UDP}]
`);
  return docs.join("---\n");
}

/** clusterOf reads the running pods into the model's terms. */
export async function clusterOf(lab: TestLab): Promise<Cluster> {
  const pods = await lab.json<List<Pod>>(["get", "pods", "-A"]);
  return {
    pods: pods.items.map((p): MPod => ({
      ns: p.metadata.namespace as string,
      name: p.metadata.name,
      labels: p.metadata.labels ?? {},
      ip: p.status?.podIP as string,
      ports: p.spec.containers.flatMap((c) =>
        (c.ports ?? []).map((q) => ({ name: q.name ?? "", port: q.containerPort, protocol: q.protocol ?? "TCP" })),
      ),
    })),
    nsLabels: { x: { ns: "x" }, y: { ns: "y" }, z: { ns: "z" } },
  };
}

const id = (p: MPod) => `${p.ns}/${p.name}`;

/** Probe is one connection attempt: from a pod to a pod's port. */
interface Probe {
  src: MPod;
  dst: MPod;
  pt: (typeof PORTS)[number];
}

const key = (p: Probe) => `${id(p.src)} -> ${id(p.dst)} ${p.pt.port}/${p.pt.protocol}`;

/** probeAll runs the probes, each source's at once in one client; keys `x/a -> y/b 81/TCP`. */
async function probeAll(lab: TestLab, probes: Probe[], timeout: string): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  const bySrc = new Map<MPod, Probe[]>();
  for (const p of probes) bySrc.set(p.src, [...(bySrc.get(p.src) ?? []), p]);
  await Promise.all(
    [...bySrc].map(async ([src, list]) => {
      const r = await lab.cli(["curl", "-n", src.ns, src.name, "--timeout", timeout, ...list.map((t) => t.pt.url(t.dst.ip))]);
      const lines = r.stdout.split("\n");
      list.forEach((t, i) => out.set(key(t), !(lines[i] ?? '{"error"').startsWith('{"error"')));
    }),
  );
  return out;
}

/**
 * probe has every pod connect to every other pod's three ports. Probes that disagree with the
 * model are tried twice more with a longer timeout, as the upstream suite retries: a loaded
 * machine can miss a one-second deadline, a wrong rule stays wrong.
 */
export async function probe(lab: TestLab, c: Cluster, want: Map<string, boolean>): Promise<Map<string, boolean>> {
  const all = c.pods.flatMap((src) => c.pods.filter((d) => d !== src).flatMap((dst) => PORTS.map((pt) => ({ src, dst, pt }))));
  const out = await probeAll(lab, all, "1000ms");
  for (let retry = 0; retry < 2; retry++) {
    const wrong = all.filter((p) => out.get(key(p)) !== want.get(key(p)));
    if (!wrong.length) break;
    for (const [k, v] of await probeAll(lab, wrong, "3000ms")) out.set(k, v);
  }
  return out;
}

/** expected is the model's matrix for the same keys. */
export function expected(c: Cluster, policies: MPolicy[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const src of c.pods)
    for (const dst of c.pods)
      if (src !== dst)
        for (const pt of PORTS)
          out.set(`${id(src)} -> ${id(dst)} ${pt.port}/${pt.protocol}`, allowed(src, dst, pt.port, pt.protocol, policies, c));
  return out;
}

/** manifests renders policies as a YAML stream. */
export function manifests(ps: MPolicy[]): string {
  return ps
    .map((p) =>
      JSON.stringify({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: p.name, namespace: p.ns },
        spec: p.spec,
      }),
    )
    .join("\n---\n");
}

/** diff lists the keys where observed and expected differ. */
export function diff(observed: Map<string, boolean>, want: Map<string, boolean>): string[] {
  return [...want]
    .filter(([k, v]) => observed.get(k) !== v)
    .map(([k, v]) => `${k}: expected ${v ? "allowed" : "denied"}, observed ${observed.get(k) ? "allowed" : "denied"}`);
}

/** truthTables runs every case on a lab and compares each matrix with the model. */
export async function truthTables(lab: TestLab): Promise<void> {
  await lab.ok(["apply", "-f", "-"], podsYaml());
  const c = await clusterOf(lab);
  let previous: MPolicy[] = [];
  for (const k of CASES) {
    const policies = k.policies(c);
    const gone = previous.filter((o) => !policies.some((n) => n.ns === o.ns && n.name === o.name));
    if (gone.length) await lab.ok(["delete", "-f", "-"], manifests(gone));
    if (policies.length) await lab.ok(["apply", "-f", "-"], manifests(policies));
    previous = policies;
    const want = expected(c, policies);
    const wrong = diff(await probe(lab, c, want), want);
    const denied = [...want.values()].filter((v) => !v).length;
    console.log(`  ${k.name}: ${want.size - denied} allowed, ${denied} denied${wrong.length ? `, ${wrong.length} WRONG` : ""}`);
    assert.deepEqual(wrong, [], `case "${k.name}"`);
  }
}
