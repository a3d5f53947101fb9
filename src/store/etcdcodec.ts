/**
 * How podnet's objects are kept in etcd: an object's JSON without its resourceVersion (the key's
 * mod revision is its version), and reading it back, where a value written around podnet that is
 * not one of its objects is reported and skipped rather than trusted; and how a failed call reads.
 */
import type { IKeyValue } from "etcd3";
import type { KubeObject } from "../model/types.js";
import { DatastoreError, withoutVersion } from "./datastore.js";
import { parseEtcdKey } from "./etcdkeys.js";
import type { ObjectKey } from "./types.js";

/** invalid says what is wrong with a stored value, or undefined when it is an object of the kind and name its key says. */
function invalid(obj: unknown, key: ObjectKey | undefined): string | undefined {
  if (typeof obj !== "object" || obj === null) return "not a JSON object";
  const o = obj as Partial<KubeObject>;
  if (typeof o.metadata !== "object" || o.metadata === null) return "no metadata";
  if (key && (o.kind !== key.kind || o.metadata.name !== key.name))
    return `its kind and name are not the key's (${key.kind} "${key.name}")`;
  return undefined;
}

/**
 * decode reads a stored object; a value that is not one (written around podnet, e.g. with etcdctl) is
 * reported on stderr and skipped, so it cannot take down a daemon or hide the valid objects.
 */
export function decode<T extends KubeObject>(kv: IKeyValue): T | undefined {
  const key = kv.key.toString("utf8");
  let obj: unknown;
  let why: string | undefined;
  try {
    obj = JSON.parse(kv.value.toString("utf8"));
    why = invalid(obj, parseEtcdKey(key));
  } catch (e) {
    why = `not JSON (${(e as Error).message})`;
  }
  if (why) {
    process.stderr.write(`failed to read etcd key "${key}" at revision ${kv.mod_revision}: ${why}; ignoring it\n`);
    return undefined;
  }
  const o = obj as T;
  o.metadata.resourceVersion = kv.mod_revision;
  return o;
}

/** decoded reads the stored objects among kvs, skipping what is not one. */
export const decoded = <T extends KubeObject>(kvs: IKeyValue[]): T[] => kvs.flatMap((kv) => decode<T>(kv) ?? []);

/** encode is an object as podnet stores it: its JSON without its resourceVersion. */
export function encode(obj: KubeObject): string {
  return JSON.stringify(withoutVersion(obj));
}

/** unavailable wraps a connection failure, naming the datastore. */
export function unavailable(verb: string, thing: string, e: unknown): DatastoreError {
  if (e instanceof DatastoreError) return e;
  if (/requested lease not found/.test((e as Error).message))
    return new DatastoreError("NotFound", verb, thing, "its lease has ended (expired or revoked)");
  // gRPC appends a resolution note, on more lines, to its first sentence, which says what failed.
  const why = (e as Error).message.split(/\n| Resolution note:/)[0];
  return new DatastoreError("Unavailable", verb, thing, `the etcd datastore did not answer: ${why}`);
}
