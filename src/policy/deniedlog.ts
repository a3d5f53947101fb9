/**
 * DeniedLog: the policy agent's record of the packets its NFLOG rules saw (namespaces annotated
 * `podnet.io/log-denied: "true"`), one line per packet in a file that `lab policy-log` reads:
 * `2026-12-06T03:00:00.000Z x/a -> y/b:81/TCP denied by ingress of y/deny-all`. It reads the
 * NFLOG group through tcpdump, and names addresses after the pods that hold them.
 */
import { appendFileSync } from "node:fs";
import type { Executor, Stream } from "../exec/types.js";
import { type Denied, PcapReader } from "./nflog.js";

/** formatDenied is one log line; names maps pod addresses to `namespace/name`. */
export function formatDenied(d: Denied, names: ReadonlyMap<string, string>): string {
  const who = (ip: string) => names.get(ip) ?? ip;
  const port = d.dport !== undefined ? `:${d.dport}` : "";
  const [dir = "", list = ""] = d.prefix.split(" ", 2);
  const rest = d.prefix.slice(dir.length + 1 + list.length);
  const by = `${dir === "E" ? "egress" : "ingress"} of ${list.split(",").join(", ")}${rest}`;
  return `${d.time.toISOString()} ${who(d.src)} -> ${who(d.dst)}${port}/${d.protocol} denied by ${by}`;
}

/** DeniedLog captures one NFLOG group into a file. */
export class DeniedLog {
  private stream: Stream | undefined;
  /** names maps pod addresses to `namespace/name`; the agent replaces it on every sync. */
  names: ReadonlyMap<string, string> = new Map();

  constructor(
    private readonly exec: Executor,
    private readonly group: number,
    private readonly file: string,
    private readonly log: (line: string) => void,
  ) {}

  /** start begins the capture (tcpdump in this namespace, pcap on its stdout). */
  start(): void {
    const reader = new PcapReader();
    this.stream = this.exec.stream(
      { argv: ["tcpdump", "-i", `nflog:${this.group}`, "-U", "-w", "-"], netns: null },
      (chunk) => {
        try {
          const lines = reader.push(chunk).map((d) => `${formatDenied(d, this.names)}\n`);
          if (lines.length) appendFileSync(this.file, lines.join(""));
        } catch (e) {
          this.log((e as Error).message);
          this.stop();
        }
      },
      (line) => this.log(`tcpdump: ${line}`),
    );
    void this.stream.done.then((code) => {
      if (this.stream) this.log(`the NFLOG capture ended (exit code ${code}); denied packets are no longer logged`);
    });
  }

  /** stop ends the capture. */
  stop(): void {
    const s = this.stream;
    this.stream = undefined;
    s?.stop();
  }
}
