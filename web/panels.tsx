/**
 * The web view's tool panels: a trace (`lab trace` through the API) drawn over the graph with the
 * kernel's verdict beside it, doctor's checklist green and red with cause and evidence, and the
 * policies that select a pod with who may reach it.
 */
import { useEffect, useState } from "preact/hooks";
import type { Snapshot } from "../src/ui/snapshot.js";
import type { Graph } from "./graph.js";

interface Hop {
  node: string;
  flow: { src: string; dst: string; dport: number };
  rules: string[];
  dnat?: string;
  masquerade: boolean;
  route?: { dev?: string; via?: string; proto?: string; encap?: string };
}
interface Path {
  probability: number;
  hops: Hop[];
  outcome: { kind: string; pod?: string; node?: string; rule?: string; error?: string; dst?: string };
}
interface TraceResult {
  paths: Path[];
  verify?: { agreed: boolean; observed: string; kernel?: { node: string; dnat?: string; verdict: string; rule?: string }[] };
  error?: string;
}

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url);
  const body = (await r.json()) as T & { error?: string };
  if (!r.ok) throw new Error(body.error ?? `${r.status}`);
  return body;
}

/** endOf is the graph element a path ends at. */
function endOf(p: Path): string | undefined {
  const o = p.outcome;
  if (o.kind === "delivered" && o.pod) return `pod/${o.pod}`;
  if (o.kind === "underlay") return "external";
  return o.node ? `node/${o.node}` : undefined;
}

function drawPath(graph: Graph | undefined, src: string, ns: string, p: Path): void {
  const nodes = p.hops.map((h) => h.node);
  const links = nodes.slice(1).flatMap((n, i) => [`link/${nodes[i]}/${n}`, `link/${n}/${nodes[i]}`]);
  const from = src === "external" ? "external" : src.startsWith("node/") ? src : `pod/${ns}/${src}`;
  graph?.mark([from, ...nodes.map((n) => `node/${n}`), ...links], endOf(p));
}

/** TracePanel asks for a trace and draws the chosen path over the graph. */
export function TracePanel({ s, graph }: { s: Snapshot; graph: Graph | undefined }) {
  const [ns, setNs] = useState("default");
  const [src, setSrc] = useState(s.pods[0]?.name ?? "external");
  const [dst, setDst] = useState(s.services[0] ? `svc/${s.services[0].name}` : "");
  const [verify, setVerify] = useState(false);
  const [result, setResult] = useState<TraceResult>();
  const [shown, setShown] = useState(0);
  const run = async (e: Event) => {
    e.preventDefault();
    setResult(undefined);
    try {
      const q = new URLSearchParams({ namespace: ns, src, dst, ...(verify ? { verify: "1" } : {}) });
      const r = await getJson<TraceResult>(`/api/trace?${q}`);
      setResult(r);
      setShown(0);
      if (r.paths[0]) drawPath(graph, src, ns, r.paths[0]);
    } catch (err) {
      setResult({ paths: [], error: (err as Error).message });
    }
  };
  const show = (i: number, p: Path) => {
    setShown(i);
    drawPath(graph, src, ns, p);
  };
  return (
    <div>
      <h2>Trace</h2>
      <form class="trace" onSubmit={run}>
        <input name="namespace" value={ns} onInput={(e) => setNs(e.currentTarget.value)} placeholder="namespace" />
        <input
          name="src"
          value={src}
          onInput={(e) => setSrc(e.currentTarget.value)}
          placeholder="pod, node/NAME or external"
          list="sources"
        />
        <datalist id="sources">
          {["external", ...s.nodes.map((n) => `node/${n.name}`), ...s.pods.filter((p) => p.namespace === ns).map((p) => p.name)].map(
            (x) => (
              <option key={x} value={x} />
            ),
          )}
        </datalist>
        <input name="dst" value={dst} onInput={(e) => setDst(e.currentTarget.value)} placeholder="IP, pod or svc/NAME, :PORT, /udp" />
        <label>
          <input type="checkbox" name="verify" checked={verify} onChange={(e) => setVerify(e.currentTarget.checked)} /> verify with a real
          connection and the kernel's trace
        </label>
        <button type="submit">Trace</button>
      </form>
      {result?.error && <p class="bad">{result.error}</p>}
      {result?.verify && (
        <p id="verdict" class={result.verify.agreed ? "ok" : "bad"}>
          {`kernel ${result.verify.agreed ? "agreed" : "DISAGREED"}: ${result.verify.observed}`}
          {(result.verify.kernel ?? []).map((k) => (
            <span key={k.node} class="pill">{`${k.node}: ${k.dnat ? `DNAT in ${k.dnat}, ` : ""}${k.verdict}`}</span>
          ))}
        </p>
      )}
      {result?.paths.map((p, i) => (
        <div
          key={String(i)}
          class={`check path ${p.outcome.kind === "delivered" || p.outcome.kind === "underlay" || p.outcome.kind === "node" ? "" : "failed"}`}
          onClick={() => show(i, p)}
          style={{ cursor: "pointer", fontWeight: i === shown ? "bold" : "normal" }}
        >
          {`${(p.probability * 100).toFixed(1)}% → ${p.outcome.kind} ${p.outcome.pod ?? p.outcome.dst ?? p.outcome.node ?? ""}`}
          {i === shown &&
            p.hops.map((h) => (
              <pre key={h.node}>
                {[
                  `${h.node}: ${h.flow.src} → ${h.flow.dst}:${h.flow.dport}`,
                  ...h.rules.map((r) => `  ${r}`),
                  h.dnat ? `  DNAT to ${h.dnat}` : "",
                  h.masquerade ? "  masqueraded" : "",
                  h.route
                    ? `  route: dev ${h.route.dev ?? "?"}${h.route.via ? ` via ${h.route.via}` : ""}${h.route.encap ? `, ${h.route.encap}` : ""}`
                    : "",
                ]
                  .filter(Boolean)
                  .join("\n")}
              </pre>
            ))}
        </div>
      ))}
    </div>
  );
}

interface Check {
  name: string;
  ok: boolean;
  cause?: string;
  evidence?: string[];
  fix?: string;
}

/** namedNodes is the nodes a failed check's evidence names (its name, when it has none): the graph marks them. */
function namedNodes(s: Snapshot, checks: Check[]): string[] {
  const text = checks.filter((c) => !c.ok).flatMap((c) => (c.evidence?.length ? c.evidence : [c.name]));
  const named = (n: string) => text.some((t) => t.split(/[^\w.-]+/).includes(n));
  return s.nodes.filter((n) => named(n.name)).map((n) => `node/${n.name}`);
}

/** DoctorPanel runs doctor, lists its checks and marks on the graph the nodes that failed ones name. */
export function DoctorPanel({ s, graph }: { s: Snapshot; graph: Graph | undefined }) {
  const [checks, setChecks] = useState<Check[]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const { checks } = await getJson<{ checks: Check[] }>("/api/doctor");
      setChecks(checks);
      graph?.mark(namedNodes(s, checks));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div>
      <h2>Doctor</h2>
      <button type="button" id="run-doctor" onClick={run} disabled={busy}>
        {busy ? "running…" : "Run the checklist"}
      </button>
      {error && <p class="bad">{error}</p>}
      {checks?.map((c) => (
        <div key={c.name} class={`check ${c.ok ? "" : "failed"}`} data-ok={String(c.ok)}>
          <b>{c.name}</b> <span class={c.ok ? "ok" : "bad"}>{c.ok ? "ok" : c.cause}</span>
          {!c.ok && c.evidence && <pre>{c.evidence.join("\n")}</pre>}
          {!c.ok && c.fix && <div>fix: {c.fix}</div>}
        </div>
      ))}
    </div>
  );
}

interface PodPolicies {
  pod: string;
  ingress: string[];
  egress: string[];
  reach: { port: string; from: { pod: string; ok: boolean; by: string[] }[] }[];
}

/** PoliciesPanel shows which policies select a pod and, as a matrix, who may reach it on each port; the graph tints the pods for the first port. */
export function PoliciesPanel({ s, graph }: { s: Snapshot; graph: Graph | undefined }) {
  const [pod, setPod] = useState<string>();
  const [data, setData] = useState<PodPolicies>();
  const [error, setError] = useState<string>();
  useEffect(() => () => graph?.tint(new Map()), [graph]);
  const pick = async (key: string) => {
    setPod(key);
    setData(undefined);
    setError(undefined);
    graph?.tint(new Map());
    if (!key) return;
    try {
      const d = await getJson<PodPolicies>(`/api/policies/${key}`);
      setData(d);
      graph?.tint(new Map((d.reach[0]?.from ?? []).map((f) => [`pod/${f.pod}`, f.ok])), `pod/${key}`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const sources = data?.reach[0]?.from.map((f) => f.pod) ?? [];
  const cell = (port: number, i: number) => data?.reach[port]?.from[i];
  return (
    <div>
      <h2>Policies</h2>
      <p>{s.policies.length} NetworkPolicies</p>
      <select onChange={(e) => pick(e.currentTarget.value)} value={pod ?? ""}>
        <option value="">a pod…</option>
        {s.pods.map((p) => (
          <option key={`${p.namespace}/${p.name}`} value={`${p.namespace}/${p.name}`}>{`${p.namespace}/${p.name}`}</option>
        ))}
      </select>
      {error && <p class="bad">{error}</p>}
      {data && (
        <div id="policies">
          <p>
            ingress: {data.ingress.length ? data.ingress.join(", ") : "no policy selects it: everyone may connect"}
            <br />
            egress: {data.egress.length ? data.egress.join(", ") : "no policy selects it: it may connect anywhere"}
          </p>
          <table class="matrix">
            <thead>
              <tr>
                <th>from</th>
                {data.reach.map((r) => (
                  <th key={r.port}>{r.port}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {sources.map((src, i) => (
                <tr key={src}>
                  <td>{src}</td>
                  {data.reach.map((r, j) => {
                    const c = cell(j, i);
                    return (
                      <td
                        key={r.port}
                        class={c?.ok ? "allow" : "deny"}
                        title={
                          c?.ok
                            ? c.by.length
                              ? `allowed by ${c.by.join(", ")}`
                              : "no policy selects either end"
                            : "a policy selects one end and none of its rules admits this"
                        }
                      >
                        {c?.ok ? "allowed" : "denied"}
                        {c?.by.length ? <small>{` by ${c.by.join(", ")}`}</small> : null}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
