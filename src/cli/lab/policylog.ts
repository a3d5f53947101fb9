/**
 * `podnet lab policy-log [--follow] [--node N]`: the packets NetworkPolicy denied in namespaces
 * annotated `podnet.io/log-denied: "true"`, as each node's policy agent logged them, in time order:
 * `2026-12-06T03:00:00.000Z x/a -> y/b:81/TCP denied by ingress of y/deny-all`.
 */
import { readFileSync, statSync } from "node:fs";
import type { Command } from "commander";
import { checkNode, openLab } from "./open.js";

function readFrom(file: string, offset: number): { text: string; size: number } {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return { text: "", size: 0 };
  }
  if (size <= offset) return { text: "", size };
  const text = readFileSync(file).subarray(offset, size).toString();
  const end = text.lastIndexOf("\n") + 1; // a line still being written waits for the next read
  return { text: text.slice(0, end), size: offset + Buffer.byteLength(text.slice(0, end)) };
}

/** registerPolicyLog adds `lab policy-log`. */
export function registerPolicyLog(lab: Command): void {
  lab
    .command("policy-log")
    .description('print the packets NetworkPolicy denied in namespaces annotated podnet.io/log-denied="true"')
    .option("-f, --follow", "keep printing new denials until interrupted")
    .option("--node <name>", "only this node's")
    .action(async (o: { follow?: boolean; node?: string }, cmd: Command) => {
      const l = openLab(cmd);
      if (o.node) checkNode(l, o.node);
      const files = l
        .config()
        .nodes.filter((n) => !o.node || n.name === o.node)
        .map((n) => ({ file: l.paths.policyDenied(n.name), offset: 0 }));
      for (;;) {
        const lines: string[] = [];
        for (const f of files) {
          const r = readFrom(f.file, f.offset);
          f.offset = r.size;
          lines.push(...r.text.split("\n").filter(Boolean));
        }
        if (lines.length) process.stdout.write(`${lines.sort().join("\n")}\n`);
        if (!o.follow) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    });
}
