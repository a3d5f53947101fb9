/** `podnet lab rules NODE`: a node's live iptables rules, with counters, or the packets each policy denied there. */
import { type Command, Option } from "commander";
import { nodeNetns } from "../../lab/layout.js";
import { RealIptables, type Table } from "../../netfilter/index.js";
import { deniedCounts } from "../../policy/counters.js";
import { table } from "../printers.js";
import { checkNode, openLab } from "./open.js";

interface RulesFlags {
  table?: Table;
  6?: boolean;
  counters?: boolean;
  denied?: boolean;
}

/** registerRules adds `lab rules`. */
export function registerRules(lab: Command): void {
  lab
    .command("rules")
    .description("print a node's live iptables rules (iptables-save of its namespace, in its flavour)")
    .argument("<node>")
    .addOption(new Option("-t, --table <table>", "only this table").choices(["raw", "mangle", "filter", "nat"]))
    .option("-6", "IPv6 rules (ip6tables-save)")
    .option("-c, --counters", "with each rule's packet and byte counters")
    .option("--denied", "the packets each NetworkPolicy and private Subnet denied on this node")
    .action(async (node: string, o: RulesFlags, cmd: Command) => {
      const l = openLab(cmd);
      checkNode(l, node);
      const ipt = new RealIptables(l.exec, nodeNetns(l.name, node), l.config().iptables, o[6] ? 6 : 4);
      if (!o.denied) return void process.stdout.write(await ipt.save(o.table, o.counters === true));
      const rows = deniedCounts(await ipt.save("filter", true)).map((d) => [d.what, String(d.packets), String(d.bytes)]);
      process.stdout.write(rows.length ? `${table(["DENIED BY", "PACKETS", "BYTES"], rows)}\n` : "No policy denies traffic on this node\n");
    });
}
