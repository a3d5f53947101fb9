/**
 * `podnet lab trace SRC DST [-n NS] [-o json] [--verify]`: a flow's path hop by hop from the nodes'
 * live rulesets, ipsets and routes, each DNAT candidate with its probability, and — with --verify —
 * whether a real connection of that flow agreed. Exit code 1 when --verify found a disagreement.
 */
import { type Command, Option } from "commander";
import { runTrace, type TraceResult } from "../../lab/trace/run.js";
import type { Path } from "../../lab/trace/walk.js";
import { openLab } from "./open.js";

function outcome(p: Path): string {
  const o = p.outcome;
  switch (o.kind) {
    case "delivered":
      return `delivered to pod ${o.pod} (${o.ip}:${o.port})`;
    case "node":
      return `delivered to node ${o.node}, port ${o.port}`;
    case "underlay":
      return `sent to the underlay for ${o.dst}:${o.port}, from ${o.src}`;
    case "no-route":
      return `no route on ${o.node}: ${o.error}`;
    default:
      return `${o.kind} on ${o.node}${o.rule ? ` by ${o.rule}` : ""}`;
  }
}

const DECIDING =
  /-j (DNAT|SNAT|MASQUERADE|REJECT|DROP|ACCEPT)\b|-j MARK --set-xmark 0x[1-9a-f]|: (?:.* )?(?:dnat to|snat to|masquerade|reject|drop|accept)\b/;
/** chainOf is the chain a traced rule sits in (`nat: -A CHAIN …` or `ip TABLE CHAIN: …`). */
const chainOf = (r: string) => /^\w+: -A (\S+) /.exec(r)?.[1] ?? /^(?:ip|ip6|inet) \S+ (\S+): /.exec(r)?.[1];
/** targetOf is the chain a rule sent the packet to: its jump or goto, or for a verdict map the chain the next rule sits in. */
const targetOf = (rules: string[], j: number) => {
  const r = rules[j] as string;
  const named = / -[jg] (\S+)|\b(?:jump|goto) (\S+)$/.exec(r);
  if (named) return named[1] ?? named[2];
  return / vmap /.test(r) ? chainOf(rules[j + 1] ?? "") : undefined;
};

/** deciding keeps the rules that changed the packet's fate (DNAT, masquerade, a verdict, a policy's accept mark) and the jumps that led to them. */
export function deciding(rules: string[]): string[] {
  const keep = new Set<number>();
  rules.forEach((r, i) => {
    if (!DECIDING.test(r)) return;
    keep.add(i);
    for (let chain = chainOf(r), j = i - 1; j >= 0 && chain; j--)
      if (targetOf(rules, j) === chain) {
        keep.add(j);
        chain = chainOf(rules[j] as string);
      }
  });
  return rules.filter((_, i) => keep.has(i));
}

/** formatTrace prints each path: its probability, every hop's deciding rules, DNAT, masquerade and route, and where it ends (-o json has every rule). */
export function formatTrace(r: TraceResult): string {
  const out = [`${r.from} -> ${r.flow.dst}:${r.flow.dport}/${r.flow.proto} (from ${r.flow.src})`];
  r.paths.forEach((p, i) => {
    out.push(`path ${i + 1}, probability ${p.probability.toFixed(3)}: ${outcome(p)}`);
    for (const h of p.hops) {
      out.push(`  ${h.node}${h.iif ? ` (in ${h.iif})` : ""}: ${h.flow.src} -> ${h.flow.dst}:${h.flow.dport}`);
      for (const rule of deciding(h.rules)) out.push(`    ${rule}`);
      if (h.dnat) out.push(`    DNAT to ${h.dnat}`);
      if (h.masquerade) out.push("    masqueraded");
      if (h.route)
        out.push(
          `    route: dev ${h.route.dev ?? "?"}${h.route.via ? ` via ${h.route.via}` : ""}${h.route.proto ? ` (proto ${h.route.proto})` : ""}${h.route.encap ? `, ${h.route.encap}` : ""}`,
        );
    }
  });
  for (const k of r.verify?.kernel ?? [])
    out.push(
      `kernel trace, ${k.node}: ${k.dnat ? `DNAT in ${k.dnat}, ` : ""}${k.masquerade ? "masqueraded, " : ""}${k.verdict}${k.rule ? ` by ${k.rule}` : ""}`,
    );
  if (r.verify) out.push(`verify: ${r.verify.observed}; the kernel ${r.verify.agreed ? "agreed" : "DISAGREED"}`);
  return `${out.join("\n")}\n`;
}

/** registerTrace adds `lab trace`. */
export function registerTrace(lab: Command): void {
  lab
    .command("trace")
    .description(
      "show a flow's path hop by hop from the nodes' live rules and routes (SRC: pod, node/NAME or external; DST: IP, pod or svc/NAME, with :PORT and /tcp|/udp)",
    )
    .argument("<src>")
    .argument("<dst>")
    .option("-n, --namespace <ns>", "namespace of SRC and DST pods and services", "default")
    .option("--verify", "send a real connection of that flow and compare", false)
    .addOption(
      new Option("--family <4|6>", "the IP family of a svc/NAME or pod destination in a dual-stack lab (default: IPv4)").choices([
        "4",
        "6",
      ]),
    )
    .addOption(new Option("-o, --output <format>", "output format").choices(["wide", "json"]).default("wide"))
    .action(async (src: string, dst: string, o: { namespace: string; verify: boolean; output: string; family?: string }, cmd: Command) => {
      const family = o.family === "6" ? 6 : o.family === "4" ? 4 : undefined;
      const r = await runTrace(openLab(cmd), { namespace: o.namespace, src, dst, verify: o.verify, ...(family ? { family } : {}) });
      process.stdout.write(o.output === "json" ? `${JSON.stringify(r, null, 2)}\n` : formatTrace(r));
      if (r.verify && !r.verify.agreed) process.exitCode = 1;
    });
}
