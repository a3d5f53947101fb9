/**
 * Reading manifests as `kubectl apply -f` takes them: multi-document YAML or JSON, `List` objects
 * flattened. Each object is validated on its own so one bad document does not sink the others.
 */
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "./types.js";
import { objectRef, ValidationError, validateObject, validateRef } from "./validate/index.js";
import { readStored } from "./stored.js";

/** ParsedDoc is one object of a manifest: validated, or the reason it was rejected. */
export type ParsedDoc = { index: number; ref: string; object: KubeObject } | { index: number; ref: string; error: Error };

/** ManifestError is a manifest that cannot be read at all (YAML syntax). */
export class ManifestError extends Error {
  constructor(source: string, cause: string) {
    super(`failed to parse manifest "${source}": ${cause}`);
    this.name = "ManifestError";
  }
}

/** parseManifest splits a manifest into objects and validates each (with refsOnly, only what names it); it throws only for unreadable text. */
export function parseManifest(text: string, source = "<stdin>", opts: { refsOnly?: boolean; stored?: boolean } = {}): ParsedDoc[] {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  const all = Array.isArray(docs) ? docs : [docs];
  const out: ParsedDoc[] = [];
  let index = 0;
  for (const d of all) {
    if (d.errors.length > 0) throw new ManifestError(source, d.errors[0]?.message ?? "invalid YAML");
    const value: unknown = d.toJS({ maxAliasCount: 50 });
    if (value === null || value === undefined) continue;
    const items = isList(value) ? value.items : [value];
    for (const item of items)
      out.push(validateDoc(index++, opts.stored ? readStored(item) : item, opts.refsOnly ? validateRef : validateObject));
  }
  return out;
}

function isList(v: unknown): v is { items: unknown[] } {
  const o = v as { kind?: unknown; items?: unknown };
  return typeof o === "object" && o !== null && typeof o.kind === "string" && o.kind.endsWith("List") && Array.isArray(o.items);
}

function validateDoc(index: number, item: unknown, validate: (o: unknown) => KubeObject): ParsedDoc {
  try {
    const object = validate(item);
    return { index, ref: objectRef(object), object };
  } catch (e) {
    if (e instanceof ValidationError) return { index, ref: e.ref, error: e };
    throw e;
  }
}
