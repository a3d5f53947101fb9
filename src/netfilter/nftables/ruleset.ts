/**
 * Reading a namespace's live nftables as data a trace walks: `nft -j list ruleset` gives the
 * chains (base chains with hook, priority and policy), their rules as expression trees, and every
 * set and map with its elements; `nft -a list ruleset` gives each rule's text by its handle, so a
 * trace can quote the rule that decided as `nft list` prints it.
 */

/** NftExpr is one node of nft's JSON expression or statement trees. */
export type NftExpr = string | number | boolean | null | NftExpr[] | { [key: string]: NftExpr };

/** NftJsonRule is one rule: its statements, handle and listed text. */
export interface NftJsonRule {
  handle: number;
  expr: NftExpr[];
  text?: string;
}

/** NftJsonChain is one chain; base chains carry their hook, priority, type and policy. */
export interface NftJsonChain {
  family: string;
  table: string;
  name: string;
  type?: string;
  hook?: string;
  prio?: number;
  policy?: string;
  rules: NftJsonRule[];
}

/** NftJsonSet is one set or map: its elements as key (and value, for a map). */
export interface NftJsonSet {
  name: string;
  map?: string;
  elems: { key: NftExpr; value?: NftExpr }[];
}

/** NftRuleset is a namespace's tables: chains and sets keyed `family table name`. */
export interface NftRuleset {
  chains: Map<string, NftJsonChain>;
  sets: Map<string, NftJsonSet>;
}

/** nftKey is the key of a chain or set in a ruleset. */
export const nftKey = (family: string, table: string, name: string) => `${family} ${table} ${name}`;

type Obj = Record<string, NftExpr>;
const obj = (x: NftExpr | undefined): Obj => (x && typeof x === "object" && !Array.isArray(x) ? x : {});

/** unwrapElem strips `{"elem": {"val": …}}` (elements with a timeout or comment) down to the value. */
export function unwrapElem(x: NftExpr): NftExpr {
  const e = obj(x).elem;
  return e === undefined ? x : (obj(e).val ?? null);
}

/** listedTexts maps `family table handle` to the rule's text in `nft -a list ruleset` output. */
function listedTexts(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let table = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t) table = `${t[1]} ${t[2]}`;
    const r = /^(.*\S)\s+# handle (\d+)$/.exec(line);
    if (r && table && !/^(chain|set|map|table|type)\b/.test(r[1] as string)) out.set(`${table} ${r[2]}`, r[1] as string);
  }
  return out;
}

/** parseNftRuleset reads `nft -j list ruleset` (and, optionally, `nft -a list ruleset` for the rules' texts). */
export function parseNftRuleset(json: string, listing = ""): NftRuleset {
  const doc = obj(JSON.parse(json || "{}") as NftExpr).nftables;
  const items = Array.isArray(doc) ? doc : [];
  const texts = listedTexts(listing);
  const chains = new Map<string, NftJsonChain>();
  const sets = new Map<string, NftJsonSet>();
  for (const item of items) {
    const o = obj(item);
    const c = obj(o.chain);
    if (o.chain) {
      const chain: NftJsonChain = { family: String(c.family), table: String(c.table), name: String(c.name), rules: [] };
      if (typeof c.hook === "string") Object.assign(chain, { hook: c.hook, type: c.type, prio: Number(c.prio), policy: c.policy });
      chains.set(nftKey(chain.family, chain.table, chain.name), chain);
    }
    const r = obj(o.rule);
    if (o.rule) {
      const chain = chains.get(nftKey(String(r.family), String(r.table), String(r.chain)));
      const text = texts.get(`${r.family} ${r.table} ${r.handle}`);
      chain?.rules.push({ handle: Number(r.handle), expr: Array.isArray(r.expr) ? r.expr : [], ...(text ? { text } : {}) });
    }
    const s = obj(o.set ?? o.map);
    if (o.set || o.map) {
      const elems = (Array.isArray(s.elem) ? s.elem : []).map((e) =>
        o.map && Array.isArray(e) ? { key: unwrapElem(e[0] ?? null), value: e[1] ?? null } : { key: unwrapElem(e) },
      );
      sets.set(nftKey(String(s.family), String(s.table), String(s.name)), {
        name: String(s.name),
        ...(typeof s.map === "string" ? { map: s.map } : {}),
        elems,
      });
    }
  }
  return { chains, sets };
}
