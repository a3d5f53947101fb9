/**
 * Reading the manifests `-f` names, as kubectl does: files, `-` for stdin, and directories (their
 * .yaml, .yml and .json files, in name order; with -R their subdirectories too). A path that
 * cannot be read is one clear error, never a raw ENOENT or EISDIR.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type KubeObject, ManifestError, type ParsedDoc, parseManifest } from "../model/index.js";

/** CliError is a command-line failure reported as one line. */
export class CliError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = "CliError";
  }
}

/** ManifestText is one file's text and where it came from. */
export interface ManifestText {
  source: string;
  text: string;
}

const MANIFEST = /\.(ya?ml|json)$/;

function filesUnder(dir: string, recursive: boolean): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory()) return recursive ? filesUnder(p, true) : [];
      return MANIFEST.test(e.name) ? [p] : [];
    });
}

/** readManifestTexts reads every manifest the paths name. */
export function readManifestTexts(paths: string[], recursive = false): ManifestText[] {
  const out: ManifestText[] = [];
  for (const p of paths) {
    if (p === "-") {
      out.push({ source: "<stdin>", text: readFileSync(0, "utf8") });
      continue;
    }
    let files: string[];
    try {
      files = statSync(p).isDirectory() ? filesUnder(p, recursive) : [p];
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CliError(`error: the path "${p}" ${code === "ENOENT" ? "does not exist" : `cannot be read (${code})`}`);
    }
    for (const f of files) out.push({ source: f, text: readFileSync(f, "utf8") });
  }
  return out;
}

/** ManifestObjects are the valid objects of some manifests and one error line per bad document. */
export interface ManifestObjects {
  objects: KubeObject[];
  errors: string[];
}

/**
 * readManifests reads and validates every document (refsOnly: only what names it, for delete;
 * stored: objects as a real API server may hold them, see model/stored.ts): bad ones become error
 * lines, the rest are returned.
 */
export function readManifests(paths: string[], recursive = false, refsOnly = false, stored = false): ManifestObjects {
  const out: ManifestObjects = { objects: [], errors: [] };
  for (const { source, text } of readManifestTexts(paths, recursive)) {
    let docs: ParsedDoc[];
    try {
      docs = parseManifest(text, source, { refsOnly, stored });
    } catch (e) {
      if (!(e instanceof ManifestError)) throw e;
      out.errors.push(`error: ${e.message}`);
      continue;
    }
    for (const d of docs) {
      if ("error" in d) out.errors.push(`error: ${d.error.message}`);
      else out.objects.push(d.object);
    }
  }
  return out;
}

/** readKinds reads the manifests as stored objects (for `render`), reports bad documents on stderr (rc 1) and returns the objects of the kinds asked for. */
export function readKinds(o: { filename: string[]; recursive?: boolean }, kinds: string[]) {
  const { objects, errors } = readManifests(o.filename, o.recursive, false, true);
  for (const e of errors) process.stderr.write(`${e}\n`);
  if (errors.length) process.exitCode = 1;
  return (kind: string) => objects.filter((x) => x.kind === kind && kinds.includes(kind));
}
