/** Reading `iptables-save` text as the chains a trace walks: table → chain → rule specs, in order. */
import type { RuleSource } from "./trace.js";
import type { Table } from "./types.js";

/** parseSave reads iptables-save output (counters or not) into a rule source; a chain declared without rules is empty. */
export function parseSave(text: string): RuleSource {
  const tables = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/^\[\d+:\d+\] /, "");
    if (line.startsWith("*")) {
      current = new Map();
      tables.set(line.slice(1), current);
    } else if (line.startsWith(":") && current) current.set(line.slice(1).split(" ")[0] ?? "", []);
    else if (line.startsWith("-A ") && current) {
      const [, chain = "", ...rest] = line.split(" ");
      const rules = current.get(chain) ?? [];
      rules.push(rest.join(" "));
      current.set(chain, rules);
    }
  }
  return (table: Table, chain: string) => tables.get(table)?.get(chain);
}
