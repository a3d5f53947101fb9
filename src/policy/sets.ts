/**
 * The ipsets a node's policy rules match on, built on demand while compiling: one per distinct
 * pod peer (the addresses of the pods it selects, cluster-wide), one per ipBlock (hash:net, its
 * exceptions as `nomatch` entries), one per named port and protocol (hash:ip,port of every pod
 * declaring it). A set is named after what it stands for, so policies that say the same share it
 * and a pod coming or going changes members, not rules.
 */
import { matchesSelector } from "../model/selector.js";
import { type IpSet, ipEntry, netEntries, portEntry } from "../netfilter/index.js";
import { codes, hashName } from "../util/hashname.js";
import type { ClusterView } from "./cluster.js";
import type { BlockPeer, Peer, PodPeer } from "./model.js";

/** SET_PREFIX starts the name of every set podnet's policy owns. */
export const SET_PREFIX = "PODNET-";

/** SetRegistry hands out set names for one family and keeps the sets it made. */
export class SetRegistry {
  readonly sets = new Map<string, IpSet>();
  private readonly byKey = new Map<string, string | null>();
  private readonly prefix: number[];

  constructor(
    private readonly view: ClusterView,
    readonly family: 4 | 6,
  ) {
    this.prefix = codes(`${SET_PREFIX}${family}-`);
  }

  /** peerSet is the set of a peer's addresses, or null when the peer has no address of this family (it matches nothing). */
  peerSet(peer: Peer): string | null {
    return peer.kind === "pods" ? this.podSet(peer) : this.blockSet(peer);
  }

  /** namedPortSet is the hash:ip,port set of the pods that declare a port of that name and protocol. */
  namedPortSet(name: string, protocol: string): string {
    return this.memo(`port:${protocol}:${name}`, (setName) => {
      const entries = new Map<string, string>();
      for (const p of this.view.pods)
        for (const np of p.ports)
          if (np.name === name && np.protocol === protocol)
            for (const ip of p.ips) {
              const e = portEntry(this.family, ip, protocol, np.port);
              if (e) entries.set(e, "");
            }
      return { name: setName, type: "hash:ip,port", family: this.family, entries };
    }) as string;
  }

  private podSet(peer: PodPeer): string {
    const nsKey = "name" in peer.namespaces ? { name: peer.namespaces.name } : { sel: canonical(peer.namespaces.selector) };
    return this.memo(`pods:${JSON.stringify([nsKey, canonical(peer.pods)])}`, (setName) => {
      const nsOk = new Map<string, boolean>();
      const inNs = (ns: string): boolean => {
        let ok = nsOk.get(ns);
        if (ok === undefined) {
          const info = this.view.namespaces.get(ns);
          ok = "name" in peer.namespaces ? ns === peer.namespaces.name : !!info && matchesSelector(peer.namespaces.selector, info.labels);
          nsOk.set(ns, ok);
        }
        return ok;
      };
      const entries = new Map<string, string>();
      for (const p of this.view.pods)
        if (inNs(p.namespace) && matchesSelector(peer.pods, p.labels))
          for (const ip of p.ips) {
            const e = ipEntry(this.family, ip);
            if (e) entries.set(e, "");
          }
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
    const name = hashName(this.prefix, key);
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
