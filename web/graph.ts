/**
 * The topology graph (Cytoscape.js, laid out by fcose): each node a box holding its pods (coloured by
 * namespace), the external host, the links the routing mode makes between nodes (routes, VXLAN or
 * IPIP tunnels, BGP sessions coloured by state) and, when a Service is selected, its fan-out to its
 * endpoints with each one's share. Elements are diffed against the snapshot, so a new pod is added
 * without redrawing the rest; the layout runs again only when elements come or go.
 */
import cytoscape, { type Core, type ElementDefinition } from "cytoscape";
import fcose from "cytoscape-fcose";
import type { Snapshot, UiService } from "../src/ui/snapshot.js";

cytoscape.use(fcose);

const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

/** nsColour gives each namespace a stable colour. */
export function nsColour(ns: string): string {
  let h = 0;
  for (const ch of ns) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length] as string;
}

const LINK_COLOUR: Record<string, string> = { route: "#8a94a6", vxlan: "#5aa7ff", ipip: "#9b6bd6", bgp: "#137a35" };

/** elementsOf turns a snapshot into graph elements: node boxes, pods inside them, the external host and the links. */
export function elementsOf(s: Snapshot): ElementDefinition[] {
  const els: ElementDefinition[] = [];
  for (const n of s.nodes)
    els.push({ data: { id: `node/${n.name}`, label: `${n.name}\n${[...n.ips, ...n.podCIDRs].join("  ")}`, kind: "node" } });
  els.push({ data: { id: "external", label: `${s.external.name}\n${s.external.ips.join("  ")}`, kind: "external" } });
  for (const p of s.pods)
    els.push({
      data: {
        id: `pod/${p.namespace}/${p.name}`,
        label: `${p.name}\n${p.ips.join(" ")}`,
        kind: "pod",
        colour: nsColour(p.namespace),
        ...(p.node ? { parent: `node/${p.node}` } : {}),
      },
    });
  for (const l of s.links) {
    const down = l.kind === "bgp" && l.state !== undefined && l.state !== "Established";
    els.push({
      data: {
        id: `link/${l.from}/${l.to}`,
        source: `node/${l.from}`,
        target: `node/${l.to}`,
        label: l.state ? `${l.kind} ${l.state}` : l.kind,
        colour: down ? "#b3261e" : (LINK_COLOUR[l.kind] ?? "#8a94a6"),
        dashed: l.kind === "vxlan" || l.kind === "ipip" ? "dashed" : "solid",
      },
    });
  }
  return els;
}

/** fanOut is a Service's elements: the Service and an edge to each endpoint pod with its share. */
export function fanOut(svc: UiService): ElementDefinition[] {
  const id = `svc/${svc.namespace}/${svc.name}`;
  const els: ElementDefinition[] = [{ data: { id, label: `${svc.name}\n${svc.clusterIPs.join(" ")}`, kind: "service" } }];
  for (const port of svc.ports)
    for (const t of port.targets) {
      if (!t.pod) continue;
      const state = t.terminating ? "terminating" : t.ready ? "ready" : "not ready";
      els.push({
        data: {
          id: `fan/${id}/${port.family}/${port.name}/${t.ip}`,
          source: id,
          target: `pod/${t.pod}`,
          label: `${port.port}/${port.protocol} → ${t.port}: ${(t.probability * 100).toFixed(0)}% ${state}`,
          colour: t.probability > 0 ? "#f28e2b" : "#bbb",
          kind: "fan",
        },
      });
    }
  return els;
}

const STYLE: cytoscape.StylesheetJson = [
  {
    selector: "node",
    style: { label: "data(label)", "text-wrap": "wrap", "font-size": 9, "text-valign": "bottom", "text-margin-y": 3 },
  },
  {
    selector: 'node[kind = "node"]',
    style: {
      shape: "round-rectangle",
      "background-color": "#eef1f6",
      "border-color": "#8a94a6",
      "border-width": 1,
      "text-valign": "top",
      "font-size": 11,
      "font-weight": "bold",
    },
  },
  { selector: 'node[kind = "pod"]', style: { width: 14, height: 14, "background-color": "data(colour)", "font-size": 7 } },
  { selector: 'node[kind = "external"]', style: { shape: "hexagon", "background-color": "#6c757d", width: 30, height: 30 } },
  { selector: 'node[kind = "service"]', style: { shape: "diamond", "background-color": "#f28e2b", width: 26, height: 26 } },
  {
    selector: "edge",
    style: {
      width: 2,
      "line-color": "data(colour)",
      "line-style": "data(dashed)" as never,
      label: "data(label)",
      "font-size": 8,
      "curve-style": "bezier",
    },
  },
  {
    selector: 'edge[kind = "fan"]',
    style: { "target-arrow-shape": "triangle", "target-arrow-color": "data(colour)", "line-style": "solid" },
  },
  { selector: ".hop", style: { "border-color": "#b3261e", "border-width": 3, "line-color": "#b3261e", width: 4 } },
  { selector: ".end", style: { "background-color": "#b3261e", width: 22, height: 22 } },
];

/** Graph keeps a Cytoscape instance in step with snapshots. */
export class Graph {
  readonly cy: Core;
  private shape = "";

  constructor(container: HTMLElement) {
    this.cy = cytoscape({ container, style: STYLE, minZoom: 0.05 });
  }

  /** update diffs the elements against the snapshot (plus any extra, such as a fan-out) and lays out again when they changed. */
  update(s: Snapshot, extra: ElementDefinition[] = []): void {
    const want = [...elementsOf(s), ...extra];
    const ids = new Set(want.map((e) => e.data.id as string));
    const gone = this.cy.elements().filter((e) => !ids.has(e.id()));
    const added = want.filter((e) => this.cy.getElementById(e.data.id as string).empty());
    this.cy.batch(() => {
      gone.remove();
      // Parents before children and nodes before edges, as Cytoscape needs them.
      this.cy.add(added.filter((e) => e.data.kind === "node" || e.data.kind === "external"));
      this.cy.add(added.filter((e) => !("source" in e.data) && e.data.kind !== "node" && e.data.kind !== "external"));
      this.cy.add(added.filter((e) => "source" in e.data));
      for (const e of want) {
        const el = this.cy.getElementById(e.data.id as string);
        // A pod scheduled after it was drawn moves into its node's box: Cytoscape moves parents, not data.
        if (el.isNode() && (el.data("parent") ?? null) !== (e.data.parent ?? null)) el.move({ parent: e.data.parent ?? null });
        // Setting data restyles the element: only where something changed.
        if (Object.entries(e.data).some(([k, v]) => el.data(k) !== v)) el.data(e.data);
      }
    });
    // The boxes (nodes, the external host, a Service) decide the layout: when they change, fcose lays
    // out everything (its fast spectral pass alone on big graphs); a pod that comes or goes only
    // rearranges its own node's box, with Cytoscape's grid layout inside the box.
    const shape = want
      .filter((e) => e.data.kind !== "pod" && !("source" in e.data))
      .map((e) => e.data.id as string)
      .sort()
      .join(",");
    if (shape !== this.shape) {
      const first = this.shape === "";
      this.shape = shape;
      const quality = want.length > 400 ? "draft" : "default";
      this.cy
        .layout({
          name: "fcose",
          quality,
          randomize: first || quality === "draft",
          animate: false,
          nodeDimensionsIncludeLabels: true,
          packComponents: true,
        } as never)
        .run();
      return;
    }
    const touched = new Set(added.flatMap((e) => (e.data.kind === "pod" && e.data.parent ? [e.data.parent as string] : [])));
    for (const id of touched) {
      const box = this.cy.getElementById(id);
      const bb = box.boundingBox({});
      box
        .children()
        .layout({
          name: "grid",
          boundingBox: { x1: bb.x1, y1: bb.y1, w: Math.max(bb.w, 60), h: Math.max(bb.h, 60) },
          avoidOverlap: true,
          fit: false,
          animate: false,
        } as never)
        .run();
    }
  }

  /** mark highlights elements (a trace's hops and end), clearing earlier marks. */
  mark(hops: string[], end?: string): void {
    this.cy.elements().removeClass("hop end");
    for (const id of hops) this.cy.getElementById(id).addClass("hop");
    if (end) this.cy.getElementById(end).addClass("end");
  }
}
