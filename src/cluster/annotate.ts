/** annotateNode: an agent publishing its own side on its Node (the lab's routing and `podnet agent` alike). */
import type { Node } from "../model/types.js";
import type { Store } from "../store/types.js";

/** hasAnnotations says whether an object already carries every annotation given. */
export function hasAnnotations(have: Record<string, string> | undefined, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => have?.[k] === v);
}

/** annotateNode merges annotations into a Node in one store update; it says whether it had to write. */
export function annotateNode(store: Store, node: string, annotations: Record<string, string>): Promise<boolean> {
  return store.update((tx) => {
    const n = tx.get<Node>({ kind: "Node", name: node });
    if (!n || hasAnnotations(n.metadata.annotations, annotations)) return false;
    n.metadata.annotations = { ...n.metadata.annotations, ...annotations };
    tx.put(n);
    return true;
  });
}
