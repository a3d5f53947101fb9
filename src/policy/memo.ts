/**
 * SetMemo: what one compile of a node's policy learned that the next can reuse, so a pod coming
 * or going costs work in proportion to that pod, not to the cluster. It keeps each pod's
 * fingerprint (namespace, labels, addresses, named ports) and each pod-derived set's members; the
 * next compile finds the pods that changed, takes their old contributions out of every remembered
 * set and tests only them against each set's rule. A change of any namespace's labels (which
 * namespace selectors read) forgets the sets. It is a memo of the view: valid whatever happened to
 * the rules since.
 */
import { ipEntry } from "../netfilter/index.js";
import type { ClusterView, PodInfo } from "./cluster.js";

/** FamilyPod is a pod with its addresses of one family, as ipset prints them. */
export interface FamilyPod {
  pod: PodInfo;
  entries: string[];
  fp: string;
}

/** PodDiff is how the pods changed since the remembered compile (or undefined: compute everything). */
export interface PodDiff {
  gone: FamilyPod[];
  came: FamilyPod[];
}

const podKey = (p: PodInfo) => `${p.namespace}/${p.name}`;

/** SetMemo is the memory of one family's last compile. */
export class SetMemo {
  private pods = new Map<string, FamilyPod>();
  private nsFp = "";
  private sets = new Map<string, Map<string, string>>();
  private next = new Map<string, Map<string, string>>();
  private readonly ipCache = new Map<string, string | undefined>();

  constructor(readonly family: 4 | 6) {}

  /** begin reads the view's pods (with this family's addresses) and says what changed since the last compile. */
  begin(view: ClusterView): { pods: FamilyPod[]; diff: PodDiff | undefined } {
    const pods: FamilyPod[] = [];
    const now = new Map<string, FamilyPod>();
    for (const pod of view.pods) {
      const entries = pod.ips.flatMap((ip) => this.entry(ip) ?? []);
      if (!entries.length) continue;
      let fp = pod.rv ?? "";
      if (pod.rv === undefined) {
        fp = entries.join(",");
        for (const k in pod.labels) fp += `|${k}=${pod.labels[k]}`;
        for (const np of pod.ports) fp += `|${np.name}/${np.protocol}/${np.port}`;
      }
      const f = { pod, entries, fp };
      pods.push(f);
      now.set(podKey(pod), f);
    }
    const nsFp = JSON.stringify([...view.namespaces.values()].map((n) => [n.name, n.labels]));
    let diff: PodDiff | undefined;
    if (nsFp === this.nsFp && this.sets.size) {
      diff = { gone: [], came: [] };
      for (const [k, old] of this.pods) {
        const cur = now.get(k);
        if (!cur || cur.fp !== old.fp) diff.gone.push(old);
      }
      for (const [k, cur] of now) if (this.pods.get(k)?.fp !== cur.fp) diff.came.push(cur);
    } else this.sets.clear();
    this.pods = now;
    this.nsFp = nsFp;
    this.next = new Map();
    if (this.ipCache.size > 200_000) this.ipCache.clear();
    return { pods, diff };
  }

  /** members returns a set's members: the remembered ones updated by the diff, or all computed anew. */
  members(
    key: string,
    diff: PodDiff | undefined,
    contributes: (p: FamilyPod) => string[],
    all: () => Map<string, string>,
  ): Map<string, string> {
    const prev = diff && this.sets.get(key);
    let entries: Map<string, string>;
    if (prev && diff) {
      entries = new Map(prev);
      for (const p of diff.gone) for (const e of contributes(p)) entries.delete(e);
      for (const p of diff.came) for (const e of contributes(p)) entries.set(e, "");
    } else entries = all();
    this.next.set(key, entries);
    return entries;
  }

  /** end keeps the sets of this compile for the next (sets it did not use are forgotten). */
  end(): void {
    this.sets = this.next;
  }

  private entry(ip: string): string | undefined {
    if (this.ipCache.has(ip)) return this.ipCache.get(ip);
    const e = ipEntry(this.family, ip);
    this.ipCache.set(ip, e);
    return e;
  }
}
