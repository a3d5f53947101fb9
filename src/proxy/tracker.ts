/**
 * ServiceTracker holds the Services and EndpointSlices a proxier sees and remembers which services
 * changed since the last sync — the input to partial syncs. It accepts whole snapshots (diffed by
 * resourceVersion, or by content when objects carry none) or single events. Each consumer (one
 * proxier per IP family) has its own changed set, so one family's sync never hides a change from
 * the other's.
 */
import type { EndpointSlice, Service } from "../model/types.js";
import { sliceServiceName } from "./endpoints.js";

const nsName = (namespace: string | undefined, name: string) => `${namespace ?? "default"}/${name}`;

function sameObject(a: { metadata: { resourceVersion?: string } } | undefined, b: typeof a): boolean {
  if (!a || !b) return a === b;
  if (a.metadata.resourceVersion && b.metadata.resourceVersion) return a.metadata.resourceVersion === b.metadata.resourceVersion;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** ServiceTracker is the proxier's cache of Services and EndpointSlices. */
export class ServiceTracker {
  readonly services = new Map<string, Service>();
  readonly slices = new Map<string, Map<string, EndpointSlice>>();
  private readonly dirty = new Map<string, Set<string>>();

  private touch(key: string): void {
    for (const d of this.dirty.values()) d.add(key);
  }

  /** setService records a Service (or its deletion when svc is null). */
  setService(key: string, svc: Service | null): void {
    const old = this.services.get(key);
    if (svc === null) {
      if (old) {
        this.services.delete(key);
        this.touch(key);
      }
      return;
    }
    if (!sameObject(old, svc)) {
      this.services.set(key, svc);
      this.touch(key);
    }
  }

  /** setSlice records an EndpointSlice (or its deletion when slice is null). */
  setSlice(serviceKey: string, sliceName: string, slice: EndpointSlice | null): void {
    let m = this.slices.get(serviceKey);
    const old = m?.get(sliceName);
    if (slice === null) {
      if (old) {
        m?.delete(sliceName);
        if (m?.size === 0) this.slices.delete(serviceKey);
        this.touch(serviceKey);
      }
      return;
    }
    if (sameObject(old, slice)) return;
    if (!m) this.slices.set(serviceKey, (m = new Map()));
    m.set(sliceName, slice);
    this.touch(serviceKey);
  }

  /** replaceAll installs a full snapshot, marking only what differs as changed. */
  replaceAll(services: Service[], slices: EndpointSlice[]): void {
    const seen = new Set<string>();
    for (const s of services) {
      const k = nsName(s.metadata.namespace, s.metadata.name);
      seen.add(k);
      this.setService(k, s);
    }
    for (const k of [...this.services.keys()]) if (!seen.has(k)) this.setService(k, null);
    const seenSlices = new Set<string>();
    for (const sl of slices) {
      const svc = sliceServiceName(sl);
      if (!svc) continue;
      const k = nsName(sl.metadata.namespace, svc);
      seenSlices.add(`${k}\0${sl.metadata.name}`);
      this.setSlice(k, sl.metadata.name, sl);
    }
    for (const [k, m] of [...this.slices])
      for (const name of [...m.keys()]) if (!seenSlices.has(`${k}\0${name}`)) this.setSlice(k, name, null);
  }

  /** takeDirty returns the services changed since the consumer's last call and clears its set; a new consumer gets every service. */
  takeDirty(consumer = "default"): Set<string> {
    const d = this.dirty.get(consumer) ?? new Set([...this.services.keys(), ...this.slices.keys()]);
    this.dirty.set(consumer, new Set());
    return d;
  }

  /** markDirty puts a service back on a consumer's changed list (e.g. after a failed sync). */
  markDirty(key: string, consumer = "default"): void {
    const d = this.dirty.get(consumer);
    if (d) d.add(key);
    else this.dirty.set(consumer, new Set([key]));
  }
}
