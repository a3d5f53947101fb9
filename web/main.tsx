/**
 * podnet's web view (Preact): the topology graph beside a panel — Services and their fan-out,
 * a trace drawn over the graph, doctor's checklist, a pod's policies. The snapshot arrives over
 * Server-Sent Events, so pods and Services created elsewhere appear without a reload. `window.podnet`
 * exposes the graph and the last snapshot to the browser tests.
 */
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Snapshot, UiService } from "../src/ui/snapshot.js";
import { fanOut, nsColour } from "./elements.js";
import { Graph } from "./graph.js";
import { DoctorPanel, PoliciesPanel, TracePanel } from "./panels.js";

declare global {
  interface Window {
    podnet: { graph?: Graph; snapshot?: Snapshot; painted?: number; updates: number };
    /** podnetEvents is the snapshot stream index.html opens before the bundle loads, and podnetFirst its first message. */
    podnetEvents?: EventSource;
    podnetFirst?: string;
  }
}
window.podnet = { updates: 0 };

const TABS = ["Topology", "Services", "Trace", "Doctor", "Policies"] as const;
type Tab = (typeof TABS)[number];

function Services(p: { s: Snapshot; selected?: UiService; select: (s: UiService) => void }) {
  return (
    <div>
      <h2>Services</h2>
      <table>
        <thead>
          <tr>
            <th>Service</th>
            <th>Type</th>
            <th>ClusterIPs</th>
            <th>Ports</th>
          </tr>
        </thead>
        <tbody>
          {p.s.services.map((svc) => (
            <tr key={`${svc.namespace}/${svc.name}`} onClick={() => p.select(svc)} style={{ cursor: "pointer" }}>
              <td class={p.selected === svc ? "ok" : ""}>{`${svc.namespace}/${svc.name}`}</td>
              <td>{svc.type}</td>
              <td>{svc.clusterIPs.join(" ")}</td>
              <td>{[...new Set(svc.ports.map((x) => `${x.port}${x.nodePort ? `:${x.nodePort}` : ""}/${x.protocol}`))].join(" ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {p.selected && <FanOut svc={p.selected} />}
    </div>
  );
}

function FanOut({ svc }: { svc: UiService }) {
  return (
    <div id="fanout">
      <h2>{`${svc.namespace}/${svc.name}`}</h2>
      <p>
        external traffic policy {svc.externalTrafficPolicy}, internal {svc.internalTrafficPolicy}
        {svc.externalIPs.length ? `, external IPs ${svc.externalIPs.join(" ")}` : ""}
      </p>
      {svc.ports.map((port) => (
        <table key={`${port.family}/${port.name}`}>
          <caption>{`${port.clusterIP}:${port.port}/${port.protocol}${port.nodePort ? `, NodePort ${port.nodePort}` : ""}`}</caption>
          <tbody>
            {port.targets.map((t) => (
              <tr key={t.ip} class="target">
                <td>{t.pod ?? t.ip}</td>
                <td>{t.node ?? ""}</td>
                <td>{`${(t.probability * 100).toFixed(1)}%`}</td>
                <td>
                  <span class={`pill ${t.terminating ? "terminating" : t.ready ? "ready" : "notready"}`}>
                    {t.terminating ? "terminating" : t.ready ? "ready" : "not ready"}
                  </span>
                  {t.serving && !t.ready ? <span class="pill">serving</span> : null}
                </td>
              </tr>
            ))}
            {port.targets.length === 0 && (
              <tr>
                <td class="bad">no endpoints: connections are rejected</td>
              </tr>
            )}
          </tbody>
        </table>
      ))}
    </div>
  );
}

/** NodePods lists a node's pods: a big graph draws them as dots without names. */
function NodePods({ s, node }: { s: Snapshot; node: string }) {
  const n = s.nodes.find((x) => x.name === node);
  const pods = s.pods.filter((p) => p.node === node);
  return (
    <div id="node-pods">
      <h2>{node}</h2>
      <p>{n ? [...n.ips, ...n.podCIDRs].join("  ") : "gone"}</p>
      <table>
        <tbody>
          {pods.map((p) => (
            <tr key={`${p.namespace}/${p.name}`}>
              <td>
                <span class="dot" style={{ background: nsColour(p.namespace) }} />
                {`${p.namespace}/${p.name}`}
              </td>
              <td>{p.ips.join(" ")}</td>
              <td>{p.phase}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function App() {
  const [snap, setSnap] = useState<Snapshot>();
  const [tab, setTab] = useState<Tab>("Topology");
  const [svcKey, setSvcKey] = useState<string>();
  const [error, setError] = useState<string>();
  const box = useRef<HTMLDivElement>(null);
  const graph = useRef<Graph | undefined>(undefined);

  const [picked, setPicked] = useState<string>();

  useEffect(() => {
    // Cytoscape starts while the first snapshot is still on its way.
    if (box.current) graph.current ??= new Graph(box.current, setPicked);
    const events = window.podnetEvents ?? new EventSource("/api/events");
    if (window.podnetFirst) setSnap(JSON.parse(window.podnetFirst) as Snapshot);
    events.addEventListener("snapshot", (e) => {
      setSnap(JSON.parse((e as MessageEvent<string>).data) as Snapshot);
      setError(undefined);
    });
    events.onerror = () => setError("reconnecting to podnet…");
    return () => events.close();
  }, []);

  // The panel takes room from the graph: Cytoscape must learn its new size.
  useEffect(() => {
    // Marks (a trace's path, doctor's failing nodes) belong to the tab that made them.
    graph.current?.mark([]);
    graph.current?.cy.resize();
    graph.current?.fit();
  }, [tab]);

  const svc = snap?.services.find((s) => `${s.namespace}/${s.name}` === svcKey);
  useEffect(() => {
    if (!snap || !box.current) return;
    graph.current ??= new Graph(box.current, setPicked);
    window.podnet.graph = graph.current;
    graph.current.update(snap, tab === "Services" && svc ? fanOut(svc) : []);
    window.podnet.snapshot = snap;
    window.podnet.updates++;
    // First paint is the first frame Cytoscape draws with the graph in it.
    if (window.podnet.updates === 1)
      graph.current.cy.one("render", () => requestAnimationFrame(() => (window.podnet.painted = performance.now())));
  }, [snap, svc, tab]);

  return (
    <>
      <header>
        <h1>podnet</h1>
        <nav>
          {TABS.map((t) => (
            <button type="button" key={t} class={t === tab ? "on" : ""} onClick={() => setTab(t)}>
              {t}
            </button>
          ))}
        </nav>
        <span class="meta">
          {error ?? (snap ? `${snap.nodes.length} nodes, ${snap.pods.length} pods, ${snap.routing}, version ${snap.version}` : "loading…")}
        </span>
      </header>
      <main>
        <div id="graph" ref={box} />
        {tab === "Topology" && snap && picked && (
          <aside>
            <NodePods s={snap} node={picked} />
          </aside>
        )}
        {tab !== "Topology" && snap && (
          <aside>
            {tab === "Services" && <Services s={snap} selected={svc} select={(x) => setSvcKey(`${x.namespace}/${x.name}`)} />}
            {tab === "Trace" && <TracePanel s={snap} graph={graph.current} />}
            {tab === "Doctor" && <DoctorPanel s={snap} graph={graph.current} />}
            {tab === "Policies" && <PoliciesPanel s={snap} graph={graph.current} />}
          </aside>
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app") as HTMLElement);
