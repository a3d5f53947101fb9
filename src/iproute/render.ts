/**
 * Rendering iproute transactions to `ip -batch` and `bridge -batch` input. Every value becomes one
 * whitespace-free token: a name or address that would split a line or add a word is refused here,
 * so nothing reaching a batch can inject a command.
 */
import {
  type Address,
  type FdbEntry,
  IpRouteError,
  type IpOp,
  type Link,
  type LinkChange,
  type Neighbour,
  type Route,
  type Rule,
  withPrefix,
} from "./types.js";
import type { IpTransaction } from "./transaction.js";

/** Tool is the iproute2 program a batch runs in. */
export type Tool = "ip" | "bridge";

/** Batch is consecutive lines for one tool; ops[i] is the index in the transaction of the change line i+1 came from. */
export interface Batch {
  tool: Tool;
  text: string;
  ops: number[];
}

const SAFE = /^[^\s"'\\]+$/;

function tok(v: string | number): string {
  const s = String(v);
  if (!SAFE.test(s)) throw new IpRouteError(`failed to render ip batch: unsafe value ${JSON.stringify(s)}`);
  return s;
}

/** words joins the defined (key, value) pairs and flags of a command line. */
function words(parts: (string | number | false | undefined | [string, string | number | undefined])[]): string {
  const out: string[] = [];
  for (const p of parts) {
    if (p === undefined || p === false) continue;
    if (Array.isArray(p)) {
      if (p[1] !== undefined) out.push(p[0], tok(p[1]));
    } else out.push(typeof p === "number" ? String(p) : p);
  }
  return out.join(" ");
}

function linkAdd(l: Link): string {
  const head = words(["link add", tok(l.name), ["mtu", l.mtu], ["address", l.address], ["master", l.master], l.up === true && "up"]);
  if (l.kind === "veth") {
    const p = l.peer;
    if (!p) throw new IpRouteError(`failed to render link "${l.name}": a veth needs a peer`);
    return `${head} type veth peer ${words([
      ["name", p.name],
      ["mtu", p.mtu],
      ["address", p.address],
      ["netns", p.netns],
    ])}`;
  }
  if (l.kind === "vxlan") {
    const v = l.vxlan;
    if (!v) throw new IpRouteError(`failed to render link "${l.name}": a vxlan device needs its settings`);
    return `${head} type vxlan ${words([["id", v.id], ["local", v.local], ["dev", v.dev], ["dstport", v.port], !v.learning && "nolearning"])}`;
  }
  if (l.kind === "bridge") return `${head} type bridge`;
  if (l.kind === "ifb" || l.kind === "dummy") return `${head} type ${l.kind}`;
  throw new IpRouteError(`failed to render link "${l.name}": unknown kind ${JSON.stringify(l.kind)}`);
}

function linkSet(c: LinkChange): string[] {
  const lines: string[] = [];
  const state = c.up === undefined ? undefined : c.up ? "up" : "down";
  if (c.master !== undefined || c.mtu !== undefined || state)
    lines.push(words(["link set", tok(c.name), ["master", c.master], ["mtu", c.mtu], state]));
  if (c.hairpin !== undefined) lines.push(`link set ${tok(c.name)} type bridge_slave hairpin ${c.hairpin ? "on" : "off"}`);
  return lines;
}

function address(verb: string, a: Address): string {
  return words([`address ${verb}`, tok(a.cidr), ["dev", a.dev], a.nodad === true && "nodad", ["preferred_lft", a.preferredLft]]);
}

/** routeSpec is a route's selector and attributes as `ip route` takes them. */
export function routeSpec(r: Route): string {
  return words([
    r.blackhole === true && "blackhole",
    tok(r.dst === "default" ? "default" : withPrefix(r.dst)),
    ["via", r.via],
    ["dev", r.dev],
    r.onlink === true && "onlink",
    ["scope", r.scope],
    ["table", r.table],
    ["proto", r.proto],
    ["metric", r.metric],
    ...(r.nexthops ?? []).map((h): [string, string] => ["nexthop via", h]),
  ]);
}

function rule(verb: string, r: Rule): string {
  return words([
    `rule ${verb}`,
    ["from", r.from],
    ["lookup", r.table],
    ["suppress_prefixlength", r.suppressPrefixLength],
    ["priority", r.priority],
    ["protocol", r.protocol],
  ]);
}

function neighbour(verb: string, n: Neighbour): string {
  if (verb === "del") return words(["neigh del", tok(n.dst), ["dev", n.dev]]);
  return words([`neigh ${verb}`, tok(n.dst), ["lladdr", n.lladdr], ["dev", n.dev], n.permanent !== false && "nud permanent"]);
}

function fdb(verb: string, f: FdbEntry): string {
  return words([`fdb ${verb}`, tok(f.mac), ["dev", f.dev], ["dst", f.dst], "self", verb !== "del" && "permanent"]);
}

/** renderOp renders one change as the lines of its tool. */
export function renderOp(op: IpOp): { tool: Tool; lines: string[] } {
  if ("link" in op) {
    if (op.verb !== "add") return { tool: "ip", lines: [`link del ${tok(op.link.name)}`] };
    // The kernel ignores an alias given at creation: it is set by a second line of the same change.
    const alias = op.link.alias === undefined ? [] : [`link set ${tok(op.link.name)} alias ${tok(op.link.alias)}`];
    return { tool: "ip", lines: [linkAdd(op.link), ...alias] };
  }
  if ("linkChange" in op) return { tool: "ip", lines: linkSet(op.linkChange) };
  if ("linkName" in op) return { tool: "ip", lines: [`link show dev ${tok(op.linkName)}`] };
  if ("address" in op) return { tool: "ip", lines: [address(op.verb, op.address)] };
  if ("route" in op) return { tool: "ip", lines: [`route ${op.verb} ${routeSpec(op.route)}`] };
  if ("rule" in op) return { tool: "ip", lines: [rule(op.verb, op.rule)] };
  if ("neighbour" in op) return { tool: "ip", lines: [neighbour(op.verb, op.neighbour)] };
  return { tool: "bridge", lines: [fdb(op.verb, op.fdb)] };
}

/** renderBatches renders a transaction as batches, one per run of changes for the same tool, in order. */
export function renderBatches(tx: IpTransaction): Batch[] {
  const out: { tool: Tool; lines: string[]; ops: number[] }[] = [];
  tx.ops.forEach((op, i) => {
    const r = renderOp(op);
    let last = out[out.length - 1];
    if (!last || last.tool !== r.tool) out.push((last = { tool: r.tool, lines: [], ops: [] }));
    for (const l of r.lines) {
      last.lines.push(l);
      last.ops.push(i);
    }
  });
  return out.filter((b) => b.lines.length > 0).map((b) => ({ tool: b.tool, text: `${b.lines.join("\n")}\n`, ops: b.ops }));
}

/** renderText renders a transaction for people (`podnet render`): each batch under a `# ip -batch -` heading. */
export function renderText(tx: IpTransaction): string {
  return renderBatches(tx)
    .map((b) => `# ${b.tool} -batch -\n${b.text}`)
    .join("\n");
}
