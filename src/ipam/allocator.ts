/**
 * The podnet IPAM allocator: host-local's algorithm (round-robin from the last reserved address,
 * one address per range set) on host-local's disk layout, plus excluded addresses and requested
 * (static) ones. Every operation runs under the store's lock. Reusing an allocation for the same
 * container and interface makes a retried ADD harmless.
 */
import { formatIP, parseIP } from "../util/ip.js";
import { DiskStore } from "./disk.js";
import { parseExcludes, type Range, rangeSets } from "./ranges.js";
import { type Allocation, type IpamStore, ownedBy } from "./store.js";
import { type IPConfig, type IpamConf, IpamError, type IpamResult } from "./types.js";

/** DEFAULT_DATA_DIR is host-local's default data directory. */
export const DEFAULT_DATA_DIR = "/var/lib/cni/networks";

function rangeOf(set: Range[], ip: string): Range | undefined {
  const a = parseIP(ip);
  return set.find((r) => a && a.family === r.subnet.family && a.value >= r.start && a.value <= r.end);
}

function toConfig(r: Range, ip: string): IPConfig {
  return { address: `${ip}/${r.subnet.prefix}`, gateway: r.gateway };
}

/** Allocator hands out and releases addresses of one network (by default in host-local's directory for it). */
export class Allocator {
  private readonly sets: Range[][];
  private readonly excluded: (family: 4 | 6, v: bigint) => boolean;
  readonly store: IpamStore;

  constructor(
    network: string,
    readonly conf: IpamConf,
    store?: IpamStore,
  ) {
    // The config is checked before the store exists: a refused config leaves nothing on disk.
    this.sets = rangeSets(conf);
    this.excluded = parseExcludes(conf.excludeIps);
    this.store = store ?? new DiskStore(conf.dataDir ?? DEFAULT_DATA_DIR, network);
  }

  /**
   * allocate reserves one address per range set for a container interface (or returns its existing
   * ones). Requested (static) addresses are taken in the range set that contains them; each must
   * belong to some range set, must not be the gateway or excluded, and must be free.
   */
  async allocate(containerId: string, ifname: string, requested: string[] = []): Promise<IpamResult> {
    const wanted = requested.map((r) => this.checkRequested(r));
    for (const set of this.sets) {
      const inSet = wanted.filter((w) => rangeOf(set, w));
      if (inSet.length > 1)
        throw new IpamError("config", `requested IPs ${inSet.join(", ")} fall in the same range set: one address per family`);
    }
    return this.store.lock(() => this.allocateLocked(containerId, ifname, wanted));
  }

  private allocateLocked(containerId: string, ifname: string, wanted: string[]): IpamResult {
    const held = ownedBy(this.store.allocations(), containerId, ifname);
    const ips: IPConfig[] = [];
    const taken: string[] = [];
    try {
      this.sets.forEach((set, i) => {
        const want = wanted.find((w) => rangeOf(set, w));
        const mine = held.map((h) => ({ h, r: rangeOf(set, h.ip) })).find((x) => x.r && (!want || x.h.ip === want));
        if (mine?.r) return ips.push(toConfig(mine.r, mine.h.ip));
        const ip = want ?? this.next(set, i, containerId, ifname);
        if (want && !this.store.reserve(want, containerId, ifname)) {
          const owner = this.store.allocations().find((a) => a.ip === want);
          throw new IpamError(
            "config",
            `requested IP ${want} is already allocated to container ${owner?.containerId.slice(0, 12) ?? "unknown"}`,
          );
        }
        taken.push(ip);
        return ips.push(toConfig(rangeOf(set, ip)!, ip));
      });
    } catch (e) {
      for (const ip of taken) this.store.release(ip);
      throw e;
    }
    return { ips, routes: this.conf.routes ?? [], ...(taken.length === 0 ? { reused: true } : {}) };
  }

  private checkRequested(raw: string): string {
    const ip = raw.split("/")[0] ?? "";
    const a = parseIP(ip);
    if (!a) throw new IpamError("config", `requested IP "${raw}" is not an IP address`);
    const canonical = formatIP(a.family, a.value);
    const r = this.sets.map((set) => rangeOf(set, canonical)).find(Boolean);
    const subnets = this.sets
      .flat()
      .map((x) => x.subnetText)
      .join(", ");
    if (!r) throw new IpamError("config", `requested IP ${canonical} is outside the allocatable ranges (${subnets})`);
    if (canonical === r.gateway) throw new IpamError("config", `requested IP ${canonical} is the gateway of ${r.subnetText}`);
    if (this.excluded(a.family, a.value))
      throw new IpamError("config", `requested IP ${canonical} is excluded (excludeIps) in ${r.subnetText}`);
    return canonical;
  }

  private next(set: Range[], index: number, containerId: string, ifname: string): string {
    const last = this.store.lastReserved(index);
    const total = set.reduce((n, r) => n + (r.end - r.start + 1n), 0n);
    // Walk every address of the set once, starting after the last one handed out.
    let [ri, v] = this.startAfter(set, last);
    for (let n = 0n; n < total; n++) {
      const r = set[ri]!;
      const ip = formatIP(r.subnet.family, v);
      if (ip !== r.gateway && !this.excluded(r.subnet.family, v) && this.store.reserve(ip, containerId, ifname)) {
        this.store.setLastReserved(index, ip);
        return ip;
      }
      [ri, v] = v >= r.end ? [(ri + 1) % set.length, set[(ri + 1) % set.length]!.start] : [ri, v + 1n];
    }
    throw new IpamError("exhausted", `no IP addresses available in range set ${set.map((r) => r.subnetText).join(",")}`);
  }

  private startAfter(set: Range[], last: string | undefined): [number, bigint] {
    const a = last ? parseIP(last) : undefined;
    const ri = a ? set.findIndex((r) => a.family === r.subnet.family && a.value >= r.start && a.value <= r.end) : -1;
    if (ri < 0 || !a) return [0, set[0]!.start];
    const r = set[ri]!;
    return a.value >= r.end ? [(ri + 1) % set.length, set[(ri + 1) % set.length]!.start] : [ri, a.value + 1n];
  }

  /** release frees every address of a container interface, found under the lock, and returns them. */
  release(containerId: string, ifname: string): Promise<Allocation[]> {
    return this.store.lock(() => {
      const mine = ownedBy(this.store.allocations(), containerId, ifname);
      for (const a of mine) this.store.release(a.ip);
      return mine;
    });
  }

  /** held lists a container interface's addresses without changing anything. */
  held(containerId: string, ifname: string): Allocation[] {
    return ownedBy(this.store.allocations(), containerId, ifname);
  }

  /** allocations lists all reserved addresses of the network. */
  allocations(): Allocation[] {
    return this.store.allocations();
  }

  /** exhausted names the range sets with no address left to hand out (sets over 65 536 addresses count as free). */
  exhausted(): string[] {
    const taken = new Set(this.store.allocations().map((a) => a.ip));
    const out: string[] = [];
    for (const set of this.sets) {
      let free = false;
      for (const r of set) {
        if (r.end - r.start > 65_536n) free = true;
        for (let v = r.start; !free && v <= r.end; v++) {
          const ip = formatIP(r.subnet.family, v);
          free = ip !== r.gateway && !this.excluded(r.subnet.family, v) && !taken.has(ip);
        }
        if (free) break;
      }
      if (!free) out.push(set.map((r) => r.subnetText).join(","));
    }
    return out;
  }
}
