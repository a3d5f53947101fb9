/**
 * The web view's tool panels: a trace (`lab trace` through the API) drawn over the graph with the
 * kernel's verdict beside it, doctor's checklist green and red with cause and evidence, and the
 * policies that select a pod with who may reach it.
 */
import { useState } from "preact/hooks";
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
  evidence?: string;
  fix?: string;
}

/** DoctorPanel runs doctor and lists its checks. */
export function DoctorPanel(_: { graph: Graph | undefined }) {
  const [checks, setChecks] = useState<Check[]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setChecks((await getJson<{ checks: Check[] }>("/api/doctor")).checks);
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
          {!c.ok && c.evidence && <pre>{c.evidence}</pre>}
          {!c.ok && c.fix && <div>fix: {c.fix}</div>}
        </div>
      ))}
    </div>
  );
}

/** PoliciesPanel shows which policies select a pod and who may reach it. */
export function PoliciesPanel({ s }: { s: Snapshot }) {
  const [pod, setPod] = useState<string>();
  const [data, setData] = useState<unknown>();
  const pick = async (key: string) => {
    setPod(key);
    try {
      setData(await getJson(`/api/policies/${key}`));
    } catch (e) {
      setData({ error: (e as Error).message });
    }
  };
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
      {data !== undefined && <pre>{JSON.stringify(data, null, 1)}</pre>}
    </div>
  );
}
