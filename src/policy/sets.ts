/**
 * The ipsets a node's policy rules match on, built on demand while compiling: one per distinct
 * pod peer (the addresses of the pods it selects, cluster-wide), one per ipBlock (hash:net, its
 * exceptions as `nomatch` entries), one per named port and protocol (hash:ip,port of every pod
 * declaring it). A set is named after what it stands for, so policies that say the same share it
 * and a pod coming or going changes members, not rules.
 */
import { matchesSelector } from "../model/selector.js";
import { type IpSet, netEntries } from "../netfilter/index.js";
import { codes, hashName } from "../util/hashname.js";
import type { ClusterView } from "./cluster.js";
import { type FamilyPod, type PodDiff, SetMemo } from "./memo.js";
import type { BlockPeer, Peer, PodPeer } from "./model.js";

const peerKeys = new WeakMap<PodPeer, string>();
const setNames = new Map<string, string>();

/** SET_PREFIX starts the name of every set podnet's policy owns. */
export const SET_PREFIX = "PODNET-";

/** SetRegistry hands out set names for one family and keeps the sets it made. */
export class SetRegistry {
  readonly sets = new Map<string, IpSet>();
  private readonly byKey = new Map<string, string | null>();
  private readonly prefix: number[];
  /** byNs holds the pods with an address of this family, per namespace (selectors scan only the namespaces they can match). */
  readonly byNs = new Map<string, FamilyPod[]>();
  private readonly diff: PodDiff | undefined;

  /** The memo (kept by the caller across compiles) makes a small change cost little; without one all is computed. */
  constructor(
    private readonly view: ClusterView,
    readonly family: 4 | 6,
    private readonly memory: SetMemo = new SetMemo(family),
  ) {
    this.prefix = codes(`${SET_PREFIX}${family}-`);
    const { pods, diff } = memory.begin(view);
    this.diff = diff;
    for (const f of pods) {
      const list = this.byNs.get(f.pod.namespace);
      if (list) list.push(f);
      else this.byNs.set(f.pod.namespace, [f]);
    }
  }

  /** done tells the memo the compile is over. */
  done(): void {
    this.memory.end();
  }

  /** peerSet is the set of a peer's addresses, or null when the peer has no address of this family (it matches nothing). */
  peerSet(peer: Peer): string | null {
    return peer.kind === "pods" ? this.podSet(peer) : this.blockSet(peer);
  }

  /** namedPortSet is the hash:ip,port set of the pods that declare a port of that name and protocol. */
  namedPortSet(name: string, protocol: string): string {
    const key = `port:${protocol}:${name}`;
    return this.memo(key, (setName) => {
      const proto = protocol.toLowerCase();
      const contributes = ({ pod, entries }: FamilyPod) =>
        pod.ports.flatMap((np) => (np.name === name && np.protocol === protocol ? entries.map((ip) => `${ip},${proto}:${np.port}`) : []));
      const entries = this.memory.members(key, this.diff, contributes, () => {
        const all = new Map<string, string>();
        for (const list of this.byNs.values()) for (const f of list) for (const e of contributes(f)) all.set(e, "");
        return all;
      });
      return { name: setName, type: "hash:ip,port", family: this.family, entries };
    }) as string;
  }

  /** netSet is a hash:net set of the CIDRs of this family (for a private subnet's admitted sources). */
  netSet(key: string, cidrs: string[]): string {
    return this.memo(`nets:${key}`, (setName) => {
      const entries = new Map<string, string>();
      for (const c of cidrs) for (const e of netEntries(this.family, c)) entries.set(e, "");
      return { name: setName, type: "hash:net", family: this.family, entries };
    }) as string;
  }

  private podSet(peer: PodPeer): string {
    let key = peerKeys.get(peer);
    if (key === undefined) {
      const nsKey = "name" in peer.namespaces ? { name: peer.namespaces.name } : { sel: canonical(peer.namespaces.selector) };
      peerKeys.set(peer, (key = `pods:${JSON.stringify([nsKey, canonical(peer.pods)])}`));
    }
    return this.memo(key, (setName) => {
      const ns = peer.namespaces;
      const nsOk = (name: string) => {
        const info = this.view.namespaces.get(name);
        return "name" in ns ? name === ns.name : !!info && matchesSelector(ns.selector, info.labels);
      };
      const contributes = ({ pod, entries }: FamilyPod) => (nsOk(pod.namespace) && matchesSelector(peer.pods, pod.labels) ? entries : []);
      const entries = this.memory.members(key, this.diff, contributes, () => {
        const all = new Map<string, string>();
        const scan = (list: FamilyPod[] | undefined) => {
          for (const f of list ?? []) if (matchesSelector(peer.pods, f.pod.labels)) for (const e of f.entries) all.set(e, "");
        };
        if ("name" in ns) scan(this.byNs.get(ns.name));
        else for (const [name, list] of this.byNs) if (nsOk(name)) scan(list);
        return all;
      });
      return { name: setName, type: "hash:ip", family: this.family, entries };
    }) as string;
  }

  private blockSet(peer: BlockPeer): string | null {
    const inc = netEntries(this.family, peer.cidr);
    if (!inc.length) return null;
    return this.memo(`net:${peer.cidr}:${[...peer.except].sort().join(",")}`, (setName) => {
      const entries = new Map<string, string>(inc.map((e) => [e, ""]));
      for (const x of peer.except) for (const e of netEntries(this.family, x)) entries.set(e, "nomatch");
      return { name: setName, type: "hash:net", family: this.family, entries };
    });
  }

  private memo(key: string, make: (name: string) => IpSet): string | null {
    const have = this.byKey.get(key);
    if (have !== undefined) return have;
    let name = setNames.get(`${this.family}${key}`);
    if (name === undefined) {
      if (setNames.size > 50_000) setNames.clear();
      setNames.set(`${this.family}${key}`, (name = hashName(this.prefix, key)));
    }
    this.sets.set(name, make(name));
    this.byKey.set(key, name);
    return name;
  }
}

/** canonical is a selector with its keys and values in a fixed order, so equal selectors name one set. */
function canonical(sel: {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}) {
  const labels = Object.entries(sel.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const exprs = (sel.matchExpressions ?? [])
    .map((e) => [e.key, e.operator, [...(e.values ?? [])].sort()] as const)
    .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return [labels, exprs];
}
