/**
 * The topology graph's elements and style: each node a box holding its pods (coloured by
 * namespace), the external host, the links the routing mode makes between nodes (routes, VXLAN or
 * IPIP tunnels, BGP sessions coloured by state) and, when a Service is selected, its fan-out to its
 * endpoints with each one's share.
 */
import type cytoscape from "cytoscape";
import type { ElementDefinition } from "cytoscape";
import type { Snapshot, UiService } from "../src/ui/snapshot.js";
import { meshOf, podLayer, podsByNode } from "./podlayer.js";

const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

/** nsColour gives each namespace a stable colour. */
export function nsColour(ns: string): string {
  let h = 0;
  for (const ch of ns) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length] as string;
}

const LINK_COLOUR: Record<string, string> = { route: "#8a94a6", vxlan: "#5aa7ff", ipip: "#9b6bd6", bgp: "#137a35" };

/**
 * elementsOf turns a snapshot into graph elements: node boxes, pods inside them, the external host
 * and the links. A `flat` graph (a big one) draws each node's pods as one image in its box and its
 * links through hubs (podlayer.ts).
 */
export function elementsOf(s: Snapshot, flat = false): ElementDefinition[] {
  const els: ElementDefinition[] = [];
  const by = flat ? podsByNode(s) : undefined;
  for (const n of s.nodes) {
    const label = `${n.name}\n${[...n.ips, ...n.podCIDRs].join("  ")}`;
    const layer = by ? podLayer(by.get(n.name) ?? [], nsColour) : undefined;
    els.push({ data: { id: `node/${n.name}`, label, kind: "node", ...layer } });
  }
  els.push({ data: { id: "external", label: `${s.external.name}\n${s.external.ips.join("  ")}`, kind: "external" } });
  for (const p of s.pods) {
    if (flat && p.node) continue;
    els.push({
      data: {
        id: `pod/${p.namespace}/${p.name}`,
        label: `${p.name}\n${p.ips.join(" ")}`,
        kind: "pod",
        colour: nsColour(p.namespace),
        ...(p.node ? { parent: `node/${p.node}` } : {}),
      },
    });
  }
  if (flat) return [...els, ...meshOf(s, LINK_COLOUR)];
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

/** STYLE is the graph's stylesheet. */
export const STYLE: cytoscape.StylesheetJson = [
  {
    selector: "node",
    // Labels too small to read at the current zoom are not drawn: a 50-node view stays quick to render.
    style: {
      label: "data(label)",
      "text-wrap": "wrap",
      "font-size": 9,
      "text-valign": "bottom",
      "text-margin-y": 3,
      "min-zoomed-font-size": 6,
    },
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
  // A flat graph's box is an ordinary node showing its pods as one image.
  {
    selector: 'node[kind = "node"][image]',
    style: {
      width: "data(w)",
      height: "data(h)",
      "background-image": "data(image)",
      "background-width": "100%",
      "background-height": "100%",
      "background-clip": "none",
      "text-valign": "top",
      "text-margin-y": -3,
    },
  },
  { selector: 'node[kind = "mesh"]', style: { shape: "ellipse", "background-color": "data(colour)", width: 30, height: 30 } },
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
      "min-zoomed-font-size": 6,
      "curve-style": "bezier",
    },
  },
  {
    selector: 'edge[kind = "fan"]',
    style: { "target-arrow-shape": "triangle", "target-arrow-color": "data(colour)", "line-style": "solid" },
  },
  { selector: ".allowed", style: { "border-color": "#137a35", "border-width": 3 } },
  { selector: ".denied", style: { "border-color": "#b3261e", "border-width": 3, opacity: 0.6 } },
  { selector: ".chosen", style: { "border-color": "#1d2330", "border-width": 4 } },
  { selector: ".hop", style: { "border-color": "#b3261e", "border-width": 3, "line-color": "#b3261e", width: 4 } },
  { selector: ".end", style: { "background-color": "#b3261e", width: 22, height: 22 } },
];
