/** `podnet lab rules NODE`: a node's live iptables rules. */
import { type Command, Option } from "commander";
import { RealIptables, type Table } from "../../netfilter/index.js";
import { nodeNetns } from "../../lab/layout.js";
import { checkNode, openLab } from "./open.js";

/** registerRules adds `lab rules`. */
export function registerRules(lab: Command): void {
  lab
    .command("rules")
    .description("print a node's live iptables rules (iptables-save of its namespace, in its flavour)")
    .argument("<node>")
    .addOption(new Option("-t, --table <table>", "only this table").choices(["raw", "mangle", "filter", "nat"]))
    .option("-6", "IPv6 rules (ip6tables-save)")
    .action(async (node: string, o: { table?: Table; 6?: boolean }, cmd: Command) => {
      const l = openLab(cmd);
      checkNode(l, node);
      const ipt = new RealIptables(l.exec, nodeNetns(l.name, node), l.config().iptables, o[6] ? 6 : 4);
      process.stdout.write(await ipt.save(o.table));
    });
}
