/**
 * A big graph's pods: each node's pods drawn as one SVG image inside its box (a dot in the
 * namespace's colour; the names are listed when the box is chosen), and the links of a mesh drawn
 * through one hub per kind. Cytoscape styles and measures every element, so 1 500 pods and a
 * 1 225-tunnel VXLAN mesh as elements cost seconds; 50 images and 50 spokes cost milliseconds.
 * The images carry no text: rasterising 3 000 SVG labels alone took most of a second.
 */
import type { ElementDefinition } from "cytoscape";
import type { Snapshot, UiPod } from "../src/ui/snapshot.js";

/** PITCH is the distance between two pods' centres in a box. */
const PITCH = 40;

/** podLayer draws pods in a square grid: an SVG data URI and its size. */
export function podLayer(pods: UiPod[], colour: (ns: string) => string): { image: string; w: number; h: number } {
  const cols = Math.max(1, Math.ceil(Math.sqrt(pods.length)));
  const rows = Math.max(1, Math.ceil(pods.length / cols));
  const w = cols * PITCH;
  const h = rows * PITCH;
  const dots = pods.map((p, i) => {
    const x = (i % cols) * PITCH + PITCH / 2;
    const y = Math.floor(i / cols) * PITCH + PITCH / 2;
    return `<circle cx="${x}" cy="${y}" r="9" fill="${colour(p.namespace)}"/>`;
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${dots.join("")}</svg>`;
  return { image: `data:image/svg+xml;utf8,${encodeURIComponent(svg)}`, w, h };
}

/** podsByNode groups the snapshot's scheduled pods by node name. */
export function podsByNode(s: Snapshot): Map<string, UiPod[]> {
  const by = new Map<string, UiPod[]>();
  for (const p of s.pods) if (p.node) by.set(p.node, [...(by.get(p.node) ?? []), p]);
  return by;
}

/**
 * meshOf draws the links of a big graph: a hub per kind with a spoke to each node it joins (labelled
 * with how many links it stands for), and, one by one, the links that are not well (a BGP session
 * that is not Established).
 */
export function meshOf(s: Snapshot, colour: Record<string, string>): ElementDefinition[] {
  const els: ElementDefinition[] = [];
  const bad = s.links.filter((l) => l.kind === "bgp" && l.state !== undefined && l.state !== "Established");
  for (const l of bad)
    els.push({
      data: {
        id: `link/${l.from}/${l.to}`,
        source: `node/${l.from}`,
        target: `node/${l.to}`,
        label: `bgp ${l.state}`,
        colour: "#b3261e",
        dashed: "solid",
      },
    });
  const kinds = new Map<string, { links: number; nodes: Set<string> }>();
  for (const l of s.links) {
    if (bad.includes(l)) continue;
    const k = kinds.get(l.kind) ?? { links: 0, nodes: new Set<string>() };
    k.links++;
    k.nodes.add(l.from).add(l.to);
    kinds.set(l.kind, k);
  }
  for (const [kind, k] of kinds) {
    const hub = `mesh/${kind}`;
    els.push({ data: { id: hub, label: `${kind}: ${k.links} links`, kind: "mesh", colour: colour[kind] ?? "#8a94a6" } });
    for (const n of k.nodes)
      els.push({
        data: { id: `${hub}/${n}`, source: hub, target: `node/${n}`, label: "", colour: colour[kind] ?? "#8a94a6", dashed: "solid" },
      });
  }
  return els;
}
