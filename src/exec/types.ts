/**
 * The executor contract: the only way podnet runs system commands.
 * Every call names its target network namespace explicitly; `null` means "the namespace this process is in"
 * (what a CNI plugin calls the host side). Commands are argument arrays, never shell strings.
 */

/** NetnsRef names a network namespace: a name under /var/run/netns, an absolute path, or null for our own. */
export type NetnsRef = string | null;

/** EarlyCommand is a started command waiting for its standard input (see startEarly). */
export interface EarlyCommand {
  /** feed gives the started command its input; a later feed (a retry) runs the command anew. Both resolve as `Executor.run` does. */
  feed(stdin: string): Promise<CommandResult>;
  /** cancel ends a command that was never fed with empty input; after feed it does nothing. */
  cancel(): void;
  /** waiting says whether the command still waits for its input: not fed, not cancelled, not exited. */
  waiting(): boolean;
}

/** CommandSpec is one command to run in one network namespace. */
export interface CommandSpec {
  argv: readonly string[];
  netns: NetnsRef;
  /**
   * stdin is written to the command's standard input (batch input for `ip -batch -`, `iptables-restore`,
   * `nft -f -`). A promise lets the process start — exec, loading, entering the namespace — while the
   * caller still computes its input; if it rejects, the command gets empty input.
   */
  stdin?: string | Promise<string>;
  /** env is added to the inherited environment; a value of undefined removes the variable. */
  env?: Record<string, string | undefined>;
  /**
   * netnsFiles runs the command as `ip netns exec` does, for a named namespace: in a private mount
   * namespace where the files of /etc/netns/NAME replace those of /etc (a pod's resolv.conf).
   */
  netnsFiles?: boolean;
  /** okCodes are exit codes that count as success (default [0]). */
  okCodes?: readonly number[];
  timeoutMs?: number;
}

/** CommandResult is what a finished command printed and how it exited. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** DaemonSpec starts a long-running process that prints `readyLine` on stdout once it serves. */
export interface DaemonSpec extends CommandSpec {
  logFile: string;
  /** readyLine is the stdout line that says the daemon is ready; without one it is started once it runs (the caller checks on it). */
  readyLine?: string;
  /** cwd is the daemon's working directory (etcd puts its unix sockets there). */
  cwd?: string;
}

/** Stream is a running command whose standard output the caller reads as it comes. */
export interface Stream {
  /** stop ends the command: SIGTERM to its PID, or the signal given (SIGKILL: as `kill -9` would). */
  stop(signal?: NodeJS.Signals): void;
  /** done resolves with the exit code once it ended (a signal counts as 128 + its number). */
  readonly done: Promise<number>;
}

/** Executor runs commands; the real one spawns processes, the fake records them. */
export interface Executor {
  /** run runs a command to completion and rejects with ExecError when it fails. */
  run(spec: CommandSpec): Promise<CommandResult>;
  /** daemon starts a detached process, waits for its ready line and returns its PID. */
  daemon(spec: DaemonSpec): Promise<number>;
  /** stream starts a long-running command and hands each chunk of its stdout to onData (stderr lines to onError). */
  stream(spec: CommandSpec, onData: (chunk: Buffer) => void, onError?: (line: string) => void): Stream;
  /** interactive runs a command with the caller's terminal and returns its exit code. */
  interactive(spec: CommandSpec): Promise<number>;
  /** takeSpare hands out an already started command for spec, if the executor keeps one ready (see startEarly). */
  takeSpare?(spec: Omit<CommandSpec, "stdin">): EarlyCommand | undefined;
}

/** ExecError is a failed command: its argv, namespace, exit code, stderr and cause. */
export class ExecError extends Error {
  readonly argv: readonly string[];
  readonly netns: NetnsRef;
  readonly code: number | null;
  readonly stderr: string;
  readonly stdout: string;
  constructor(spec: CommandSpec, code: number | null, stderr: string, cause?: unknown, stdout = "") {
    const where = spec.netns === null ? "" : ` in netns "${spec.netns}"`;
    const why = cause instanceof Error ? cause.message : stderr.trim() || `exit code ${code}`;
    super(`failed to run "${spec.argv.join(" ")}"${where}: ${why}`, cause === undefined ? {} : { cause });
    this.name = "ExecError";
    this.argv = spec.argv;
    this.netns = spec.netns;
    this.code = code;
    this.stderr = stderr;
    this.stdout = stdout;
  }
}

/** netnsPath turns a namespace reference into the path nsenter opens. */
export function netnsPath(ref: string): string {
  if (ref.startsWith("/")) return ref;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/.test(ref)) throw new Error(`invalid netns name "${ref}"`);
  return `/var/run/netns/${ref}`;
}

const NAMED_NETNS = /^\/(?:var\/)?run\/netns\/([A-Za-z0-9][A-Za-z0-9_.-]{0,200})$/;

/**
 * wrapArgv prefixes argv with nsenter when the command must run in another namespace. `ip` in a
 * named namespace (one under /run/netns, as runtimes and the lab create them) switches by itself
 * with `ip -n NAME`, which saves a process per call — CNI ADD runs several.
 */
export function wrapArgv(spec: CommandSpec): string[] {
  if (spec.argv.length === 0) throw new Error("empty argv");
  if (spec.netns === null) return [...spec.argv];
  const path = netnsPath(spec.netns);
  const [cmd, ...rest] = spec.argv;
  const name = NAMED_NETNS.exec(path)?.[1];
  if (spec.netnsFiles && name) return ["ip", "netns", "exec", name, ...spec.argv];
  if (cmd === "ip" && name) return ["ip", "-n", name, ...rest];
  return ["nsenter", `--net=${path}`, "--", ...spec.argv];
}

/** ToolFailure is a failed command as a tool's error reports it: where it ran, why (stderr, else the message), the stderr. */
export interface ToolFailure {
  where: string;
  why: string;
  stderr: string;
}

/** toolFailure describes a failed command for a tool's error message: `failed to <verb> <thing>${where}: ${why}`. */
export function toolFailure(e: unknown, netns: NetnsRef): ToolFailure {
  const stderr = e instanceof ExecError ? e.stderr : "";
  return { where: netns === null ? "" : ` in netns "${netns}"`, why: stderr.trim() || (e as Error).message, stderr };
}
