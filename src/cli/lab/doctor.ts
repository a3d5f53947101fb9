/**
 * `podnet lab doctor [-o json]`: the troubleshooting checklist against the running lab, each failure
 * with its cause code (docs/doctor.md), the evidence and a fix. Exit code 0 only when every check passes.
 */
import { type Command, Option } from "commander";
import type { CheckResult } from "../../doctor/causes.js";
import { runDoctor } from "../../lab/doctor/run.js";
import { openLab } from "./open.js";

/** formatChecks prints the checklist as a table, each failure followed by its evidence and fix. */
export function formatChecks(checks: CheckResult[]): string {
  const rows = checks.map((c) => [c.name, c.skipped ? "skip" : c.ok ? "ok" : "FAIL", c.cause ?? "", c.skipped ?? c.detail ?? ""]);
  const widths = [0, 1, 2].map((i) =>
    Math.max(...[["CHECK", "RESULT", "CAUSE"][i] as string, ...rows.map((r) => r[i] as string)].map((s) => s.length)),
  );
  const line = (r: string[]) => `${r.map((c, i) => (i < 3 ? c.padEnd((widths[i] as number) + 3) : c)).join("")}`.trimEnd();
  const out = [line(["CHECK", "RESULT", "CAUSE", "DETAIL"])];
  checks.forEach((c, i) => {
    out.push(line(rows[i] as string[]));
    if (c.ok) return;
    for (const e of c.evidence ?? []) out.push(`    evidence: ${e}`);
    if (c.fix) out.push(`    fix: ${c.fix}`);
  });
  const bad = checks.filter((c) => !c.ok).length;
  out.push("", bad === 0 ? `all ${checks.length} checks passed` : `${bad} of ${checks.length} checks failed`);
  return `${out.join("\n")}\n`;
}

/** registerDoctor adds `lab doctor`. */
export function registerDoctor(lab: Command): void {
  lab
    .command("doctor")
    .description("run the troubleshooting checklist: node settings and agents, pods on a node and across nodes, a ClusterIP, DNS, egress")
    .addOption(new Option("-o, --output <format>", "output format").choices(["wide", "json"]).default("wide"))
    .action(async (o: { output: "wide" | "json" }, cmd: Command) => {
      const l = openLab(cmd);
      const checks = await runDoctor(l);
      process.stdout.write(o.output === "json" ? `${JSON.stringify({ checks }, null, 2)}\n` : formatChecks(checks));
      process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
    });
}
