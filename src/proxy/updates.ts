/**
 * Re-rendering changed services, for every backend: each of a service's ports in one family with
 * its endpoints, and a null for each port the service no longer has. A service that fails to
 * render is reported by name and skipped; the others go on.
 */
import { endpointKey, serviceEndpoints } from "./endpoints.js";
import { servicePorts } from "./serviceport.js";
import type { ServiceTracker } from "./tracker.js";
import { type EndpointInfo, type Family, ProxyError, type ServicePortInfo, servicePortKey } from "./types.js";

/** Updates are re-rendered ports by port key (null: the port is gone) and the port keys of each service. */
export interface Updates<T> {
  updates: Map<string, T | null>;
  ports: Map<string, string[]>;
}

/** computeUpdates renders the ports of the given services with `render`; a broken service is reported in errors, not fatal. */
export function computeUpdates<T>(
  tracker: ServiceTracker,
  keys: Iterable<string>,
  family: Family,
  nodeName: string,
  portsByService: Map<string, string[]>,
  errors: string[],
  render: (sp: ServicePortInfo, eps: EndpointInfo[]) => T,
): Updates<T> {
  const updates = new Map<string, T | null>();
  const ports = new Map<string, string[]>();
  for (const key of keys) {
    const svc = tracker.services.get(key);
    try {
      const sps = svc ? servicePorts(svc, family) : [];
      const eps = serviceEndpoints(tracker.slices.get(key)?.values() ?? [], family, nodeName);
      const newKeys: string[] = [];
      for (const sp of sps) {
        const k = servicePortKey(sp);
        newKeys.push(k);
        updates.set(k, render(sp, eps.get(endpointKey(sp.portName, sp.protocol)) ?? []));
      }
      for (const old of portsByService.get(key) ?? []) if (!newKeys.includes(old)) updates.set(old, null);
      ports.set(key, newKeys);
    } catch (e) {
      errors.push(new ProxyError("render", "service", key, e).message);
    }
  }
  return { updates, ports };
}
