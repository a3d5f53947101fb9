/**
 * Watching etcd: one etcd watch over a kind's prefix, or over all of podnet's keys for several
 * kinds, so changes to different kinds arrive in the order etcd made them. After each response,
 * every change up to its last event's revision has been delivered (a progress notification, with
 * no events, vouches for its header's revision): that is the progress a follower can claim.
 *
 * The etcd3 client (1.1.2) resumes a broken watch stream from the revision in the last response's
 * header, which is the store's revision, not the watch's: on a create, or while a watch catches up,
 * that is ahead of what was delivered, and a second break would skip the events between. The
 * watch here keeps its own resume point and hands it to the client each time it re-attaches.
 */
import type { EventEmitter } from "node:events";
import type { Etcd3, IWatchResponse } from "etcd3";
import type { KubeObject } from "../model/types.js";
import { DatastoreError, type Watch, type WatchEvent } from "./datastore.js";
import { decode, unavailable } from "./etcdcodec.js";
import { kindPrefix, PREFIX, parseEtcdKey } from "./etcdkeys.js";

/** WatchCallbacks receive a watch's events, its failure, and its progress. */
export interface WatchCallbacks<T extends KubeObject> {
  onEvent: (e: WatchEvent<T>) => void;
  onError: (e: DatastoreError) => void;
  onProgress?: (resourceVersion: string) => void;
}

/** delivered is the revision a response vouches for: its last event's, or a progress notification's header. */
export function delivered(res: Pick<IWatchResponse, "header" | "events">): string {
  const last = res.events[res.events.length - 1];
  return last ? last.kv.mod_revision : res.header.revision;
}

/** toEvent reads one etcd event as a watch event, or undefined when it is not an object of the kinds. */
function toEvent<T extends KubeObject>(ev: IWatchResponse["events"][number], kinds: ReadonlySet<string>): WatchEvent<T> | undefined {
  const key = parseEtcdKey(ev.kv.key.toString("utf8"));
  if (!key || !kinds.has(key.kind)) return undefined;
  if (ev.type === "Delete") {
    const object = ev.prev_kv && decode<T>(ev.prev_kv);
    if (!object) return undefined;
    object.metadata.resourceVersion = ev.kv.mod_revision;
    return { type: "DELETED", object, resourceVersion: ev.kv.mod_revision };
  }
  const object = decode<T>(ev.kv);
  if (!object) return undefined;
  const type = ev.kv.create_revision === ev.kv.mod_revision ? "ADDED" : "MODIFIED";
  return { type, object, resourceVersion: ev.kv.mod_revision };
}

/** watchEtcd watches the kinds after resourceVersion; isCompacted decides whether a cancelled watch is Gone. */
export function watchEtcd<T extends KubeObject>(
  client: Etcd3,
  kinds: readonly string[],
  resourceVersion: string,
  cb: WatchCallbacks<T>,
  isCompacted: (revision: string) => Promise<boolean>,
): Watch {
  const what = `${kinds.join(", ")} from version ${resourceVersion}`;
  const only = new Set(kinds);
  let stopped = false;
  let cancel: () => void = () => {};
  let next = String(BigInt(resourceVersion) + 1n);
  const from = next;
  client
    .watch()
    .prefix(kinds.length === 1 ? kindPrefix(kinds[0] ?? "") : PREFIX)
    .startRevision(from)
    .withPreviousKV()
    .create()
    .then((w) => {
      cancel = () => void w.cancel().catch(() => {});
      if (stopped) cancel();
      // The client re-attaches with this request: it resumes where delivery stopped.
      (w as unknown as EventEmitter).on("connecting", (req: { start_revision?: number | string }) => (req.start_revision = next));
      w.on("data", (res: IWatchResponse) => {
        if (stopped) return;
        for (const ev of res.events) {
          const e = toEvent<T>(ev, only);
          if (e) cb.onEvent(e);
        }
        const rev = delivered(res);
        next = String(BigInt(rev) + 1n);
        cb.onProgress?.(rev);
      });
      // etcd 3.4 cancels a watch on a compacted revision without a reason: reading there tells.
      w.on("error", (e: Error) => {
        void isCompacted(next).then((gone) =>
          cb.onError(
            new DatastoreError(gone ? "Gone" : "Unavailable", "watch", what, gone ? "required revision has been compacted" : e.message),
          ),
        );
      });
    })
    .catch((e: Error) => cb.onError(unavailable("watch", what, e)));
  return {
    stop: () => {
      stopped = true;
      cancel();
    },
  };
}
