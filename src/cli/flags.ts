/**
 * The command line's one vocabulary: every flag that appears in more than one command is defined
 * here once, with its spelling, choices and parser — IP families (kind's ipv4 | ipv6 | dual),
 * iptables flavour, routing and proxy modes, manifest files (`-f`, repeatable or comma-separated,
 * directories with -R, as kubectl), durations (500ms, 5s, 1m, 1h), output formats and bounded
 * integers. A bad value fails in the parser with one line naming the flag.
 */
import { InvalidArgumentError, Option } from "commander";
import { ROUTING_MODES } from "../routing/types.js";

/** collect gathers a repeatable flag's values. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** collectList gathers a repeatable flag whose values may also be comma-separated (kubectl's -f). */
export const collectList = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(",").filter(Boolean)];

/** IpFamilyFlag is the address families a command works with. */
export type IpFamilyFlag = "ipv4" | "ipv6" | "dual";

/** familiesOf lists the families an --ip-family value means. */
export function familiesOf(f: IpFamilyFlag): (4 | 6)[] {
  return f === "dual" ? [4, 6] : f === "ipv6" ? [6] : [4];
}

/** ipFamilyOption is `--ip-family`, limited to the families the command supports. */
export function ipFamilyOption(choices: readonly IpFamilyFlag[] = ["ipv4", "ipv6", "dual"], dflt: IpFamilyFlag = "ipv4"): Option {
  return new Option("--ip-family <family>", "address families: ipv4, ipv6, or dual for both").choices(choices).default(dflt);
}

/** IptablesFlag is the iptables backend: auto detects it. */
export type IptablesFlag = "auto" | "nft" | "legacy";

/** iptablesOption is `--iptables auto|nft|legacy`. */
export function iptablesOption(what: string): Option {
  return new Option("--iptables <flavour>", `iptables backend ${what} (auto: detect)`).choices(["auto", "nft", "legacy"]).default("auto");
}

/** routingModeOption is `--routing-mode`. */
export function routingModeOption(): Option {
  return new Option("--routing-mode <mode>", "how pods reach other nodes").choices([...ROUTING_MODES]).default("host-gw");
}

/** proxyModeOption is kube-proxy's `--proxy-mode` (`flags` lets `render proxy` call it `--mode`; ipvs is render only). */
export function proxyModeOption(flags = "--proxy-mode <mode>", modes = ["iptables", "nftables"]): Option {
  return new Option(flags, `service proxy mode: kube-proxy's ${modes.join(", ")} layout`).choices(modes).default("iptables");
}

/** cniModeOption is `--cni-mode bridge|routed`: the pod data path. */
export function cniModeOption(): Option {
  return new Option("--cni-mode <mode>", "pod data path on each node: a bridge, or Calico-style routes")
    .choices(["bridge", "routed"])
    .default("bridge");
}

/** OutputFlag is kubectl's -o. */
export type OutputFlag = "wide" | "yaml" | "json" | "name";

/** outputOption is `-o, --output`. */
export function outputOption(choices: readonly OutputFlag[] = ["wide", "yaml", "json", "name"]): Option {
  return new Option("-o, --output <format>", "output format").choices(choices);
}

/** filenameOption is `-f, --filename`: files, directories or - for stdin; repeatable or comma-separated. */
export function filenameOption(what: string, required = false): Option {
  const o = new Option("-f, --filename <path>", `${what} (YAML or JSON; a directory's files; - for stdin; repeatable)`).argParser(
    collectList,
  );
  return required ? o.makeOptionMandatory() : o;
}

/** recursiveOption is `-R, --recursive`: read directories given to -f recursively. */
export function recursiveOption(): Option {
  return new Option("-R, --recursive", "read the directories given to -f recursively");
}

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** parseDuration reads a duration such as 500ms, 5s, 1m or 1h into milliseconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s);
  if (!m) throw new InvalidArgumentError(`invalid duration "${s}": use e.g. 500ms, 5s, 1m`);
  return Math.round(Number(m[1]) * UNITS[m[2] as keyof typeof UNITS]);
}

/** durationOption is a duration flag; its value arrives in milliseconds. */
export function durationOption(flags: string, description: string, dflt: string): Option {
  return new Option(flags, `${description} (e.g. 500ms, 5s)`).argParser(parseDuration).default(parseDuration(dflt), dflt);
}

/** intParser parses a whole number within bounds, naming the bounds when it is not. */
export function intParser(min: number, max: number): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`want a whole number from ${min} to ${max}`);
    return n;
  };
}

/** intOption is a bounded whole-number flag. */
export function intOption(flags: string, description: string, min: number, max: number, dflt?: number): Option {
  const o = new Option(flags, description).argParser(intParser(min, max));
  return dflt === undefined ? o : o.default(dflt);
}

/** listParser splits a comma-separated flag value. */
export const listParser = (v: string): string[] =>
  v
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

/** ifaceName checks an interface name given on the command line. */
export function ifaceName(v: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/.test(v))
    throw new InvalidArgumentError("an interface name: 1-15 of letters, digits, '_', '.', '-'");
  return v;
}

/** logLine is how node agents log: one timestamped line on stderr. */
export function logLine(l: string): void {
  process.stderr.write(`${new Date().toISOString()} ${l}\n`);
}

/** serve runs a node agent as the lab and service managers expect: first sync, "ready" on stdout, then until SIGTERM or SIGINT. */
export async function serve(d: { start(): Promise<void>; run(): Promise<void>; stop(): void }): Promise<void> {
  await d.start();
  process.stdout.write("ready\n");
  for (const sig of ["SIGTERM", "SIGINT"] as const) process.once(sig, () => d.stop());
  await d.run();
}

/** storeOption is `--store`: the cluster's store file, or a datastore URL (src/store/open.ts). */
export function storeOption(): Option {
  return new Option(
    "--store <file|url>",
    "cluster store file to watch, or a datastore URL: etcd://HOST:PORT[,…][?ca=FILE&cert=FILE&key=FILE]",
  ).makeOptionMandatory();
}
