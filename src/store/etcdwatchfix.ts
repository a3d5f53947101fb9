/**
 * A guard around the etcd3 client (1.1.2): its watch stream handler throws — an uncaught
 * exception, so the process dies — when a response names a watch it has already dropped. That
 * happens when etcd cancels watches for a compaction while podnet cancels and recreates them (seen
 * with an agent thawed after an etcd restart and a compaction). Such a response belongs to a watch
 * nobody follows any more: it is dropped, and the watches that exist go on.
 */
import { WatchManager } from "etcd3/lib/watch.js";

interface Manager {
  watchers: { id: string | null }[];
}

type Handler = (this: Manager, res: { watch_id: string }) => void;

const proto = WatchManager.prototype as unknown as { handleResponse: Handler; podnetGuarded?: boolean };
if (!proto.podnetGuarded) {
  const original = proto.handleResponse;
  proto.handleResponse = function (this: Manager, res) {
    if (!this.watchers.some((w) => w.id === res.watch_id)) return;
    original.call(this, res);
  };
  proto.podnetGuarded = true;
}
