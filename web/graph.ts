/**
 * The topology graph (Cytoscape.js) kept in step with snapshots. Elements are diffed against the
 * snapshot, so a new pod is added without redrawing the rest. A lab-sized graph draws pods as
 * elements inside compound node boxes laid out by fcose. A big one (hundreds of pods) is flat:
 * each box draws its pods as one image and links go through hubs (podlayer.ts), laid out by
 * Cytoscape's grid — fcose over 1 500 pods and compound restyles took seconds there.
 */
import cytoscape, { type Core, type ElementDefinition } from "cytoscape";
import fcose from "cytoscape-fcose";
import type { Snapshot } from "../src/ui/snapshot.js";
import { elementsOf, STYLE } from "./elements.js";

cytoscape.use(fcose);

/** FLAT_OVER is the number of elements above which the graph is flat (podlayer.ts). */
const FLAT_OVER = 300;

/** Graph keeps a Cytoscape instance in step with snapshots. */
export class Graph {
  readonly cy: Core;
  private shape = "";
  private flat = false;
  /** Each element's data as JSON when last set: a changed string is a changed element. */
  private drawn = new Map<string, string>();
  /** The node box each pod is drawn in, for marking a pod that a flat graph draws inside its box's image. */
  private hostOf = new Map<string, string>();

  /** The graph calls onPick with a node's name when its box is tapped, and with nothing when the background is. */
  constructor(container: HTMLElement, onPick: (node?: string) => void = () => {}) {
    this.cy = cytoscape({ container, style: STYLE, minZoom: 0.05 });
    this.cy.on("tap", (e) => {
      const t = e.target as cytoscape.SingularElementReturnValue | Core;
      if (t === this.cy) onPick(undefined);
      else if ((t as cytoscape.SingularElementReturnValue).data("kind") === "node")
        onPick((t as cytoscape.SingularElementReturnValue).id().slice("node/".length));
    });
  }

  /** update diffs the elements against the snapshot (plus any extra, such as a fan-out) and lays out again when they changed. */
  update(s: Snapshot, extra: ElementDefinition[] = []): void {
    const flat = s.nodes.length + s.pods.length + s.links.length > FLAT_OVER;
    if (flat !== this.flat) {
      // Pods change from elements to images or back: start again.
      this.cy.elements().remove();
      this.drawn.clear();
      this.shape = "";
      this.flat = flat;
    }
    this.hostOf = new Map(s.pods.flatMap((p) => (p.node ? [[`pod/${p.namespace}/${p.name}`, `node/${p.node}`]] : [])));
    const want = [...elementsOf(s, flat), ...extra];
    const { added, changed } = this.apply(want);
    // The boxes (nodes, the external host, a Service) decide the layout: when they change, everything
    // is laid out again; a pod that comes or goes only rearranges its own node's box.
    const shape = want
      .filter((e) => e.data.kind !== "pod" && !("source" in e.data))
      .map((e) => e.data.id as string)
      .sort()
      .join(",");
    if (shape !== this.shape) {
      const first = this.shape === "";
      this.shape = shape;
      if (flat) this.grid();
      else this.force(first);
      return;
    }
    if (!flat)
      this.regrid(
        new Set([...added, ...changed].flatMap((e) => (e.data.kind === "pod" && e.data.parent ? [e.data.parent as string] : []))),
      );
  }

  /** apply adds, changes and removes elements to match `want`, and says what it added and changed. */
  private apply(want: ElementDefinition[]): { added: ElementDefinition[]; changed: ElementDefinition[] } {
    const json = new Map(want.map((e) => [e.data.id as string, JSON.stringify(e.data)]));
    const added = want.filter((e) => !this.drawn.has(e.data.id as string));
    const changed = want.filter((e) => {
      const was = this.drawn.get(e.data.id as string);
      return was !== undefined && was !== json.get(e.data.id as string);
    });
    const gone = [...this.drawn.keys()].filter((id) => !json.has(id));
    this.drawn = json;
    this.cy.batch(() => {
      for (const id of gone) this.cy.getElementById(id).remove();
      // Parents before children and nodes before edges, as Cytoscape needs them.
      this.cy.add(added.filter((e) => e.data.kind === "node" || e.data.kind === "external"));
      this.cy.add(added.filter((e) => !("source" in e.data) && e.data.kind !== "node" && e.data.kind !== "external"));
      this.cy.add(added.filter((e) => "source" in e.data));
      for (const e of changed) {
        const el = this.cy.getElementById(e.data.id as string);
        // A pod scheduled after it was drawn moves into its node's box: Cytoscape moves parents, not data.
        if (el.isNode() && (el.data("parent") ?? null) !== (e.data.parent ?? null)) el.move({ parent: e.data.parent ?? null });
        el.data(e.data);
      }
    });
    return { added, changed };
  }

  /** force lays the whole graph out with fcose. */
  private force(randomize: boolean): void {
    this.cy.layout({ name: "fcose", randomize, animate: false, nodeDimensionsIncludeLabels: true, packComponents: true } as never).run();
  }

  /** grid lays a flat graph out with Cytoscape's grid layout: the node boxes first, then hubs, Services and the external host. */
  private grid(): void {
    const rank = (k: unknown) => (k === "node" ? 0 : k === "mesh" ? 1 : 2);
    this.cy
      .nodes()
      .layout({
        name: "grid",
        avoidOverlap: true,
        avoidOverlapPadding: 40,
        condense: true,
        animate: false,
        sort: (a: cytoscape.NodeSingular, b: cytoscape.NodeSingular) => rank(a.data("kind")) - rank(b.data("kind")),
      } as never)
      .run();
  }

  /** regrid rearranges the pods of the given compound boxes with Cytoscape's grid layout inside each box. */
  private regrid(boxes: Set<string>): void {
    for (const id of boxes) {
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

  /**
   * fit zooms to the whole graph. It measures the nodes' bodies, not labels or edges: Cytoscape's
   * own fit measures every label's text.
   */
  fit(padding = 20): void {
    const bb = this.cy.nodes().boundingBox({ includeLabels: false, includeOverlays: false });
    const w = this.cy.width() - 2 * padding;
    const h = this.cy.height() - 2 * padding;
    if (bb.w <= 0 || bb.h <= 0 || w <= 0 || h <= 0) return;
    const zoom = Math.min(this.cy.maxZoom(), Math.max(this.cy.minZoom(), Math.min(w / bb.w, h / bb.h)));
    this.cy.viewport({
      zoom,
      pan: { x: padding + (w - zoom * bb.w) / 2 - zoom * bb.x1, y: padding + (h - zoom * bb.h) / 2 - zoom * bb.y1 },
    });
  }

  /** tint outlines pods green or red (who may reach `chosen`), clearing earlier tints. */
  tint(ok: Map<string, boolean>, chosen?: string): void {
    this.cy.batch(() => {
      this.cy.elements().removeClass("allowed denied chosen");
      for (const [id, yes] of ok) this.cy.getElementById(id).addClass(yes ? "allowed" : "denied");
      if (chosen) this.cy.getElementById(chosen).addClass("chosen");
    });
  }

  /** mark highlights elements (a trace's hops and end), clearing earlier marks; a pod drawn in its box's image marks the box. */
  mark(hops: string[], end?: string): void {
    this.cy.elements().removeClass("hop end");
    const at = (id: string) => {
      const el = this.cy.getElementById(id);
      const host = this.hostOf.get(id);
      return el.empty() && host ? this.cy.getElementById(host) : el;
    };
    for (const id of hops) at(id).addClass("hop");
    if (end) at(end).addClass("end");
  }
}
