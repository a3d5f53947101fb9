/**
 * Checking CNI_NETNS before anything is touched: it must be a network namespace (a file of the
 * kernel's nsfs, such as /var/run/netns/NAME or /proc/PID/ns/net) and not the plugin's own — the
 * node's — or the pod's interface and address would land on the node itself.
 */
import { statSync } from "node:fs";
import { CniCode, CniError } from "./types.js";

/** checkPodNetns refuses a CNI_NETNS that is missing, not a network namespace, or the node's own namespace (code 4). */
export function checkPodNetns(path: string): void {
  const bad = (why: string) => new CniError(CniCode.InvalidEnv, `invalid CNI_NETNS "${path}": ${why}`);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw bad(code === "ENOENT" ? "no such file" : `cannot be read (${code})`);
  }
  const own = statSync("/proc/self/ns/net");
  if (st.isDirectory()) throw bad("a directory, not a network namespace");
  if (st.dev !== own.dev) throw bad(`a ${st.isFile() ? "regular file" : "file"}, not a network namespace`);
  if (st.ino === own.ino) throw bad("the node's own network namespace (the plugin runs in it); a pod needs a namespace of its own");
}
