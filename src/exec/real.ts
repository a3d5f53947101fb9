/**
 * RealExecutor spawns processes with execFile-style argument arrays (no shell), entering the target
 * network namespace with nsenter, which unlike `ip netns exec` does not remount /sys.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { constants } from "node:os";
import { startNow } from "./early.js";
import {
  type CommandResult,
  type CommandSpec,
  type DaemonSpec,
  type EarlyCommand,
  ExecError,
  type Executor,
  type Stream,
  wrapArgv,
} from "./types.js";

function childEnv(extra: CommandSpec["env"]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** signalExit is a shell's exit status for a command killed by a signal: 128 + its number (SIGKILL: 137). */
export function signalExit(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

type StartSpec = Omit<CommandSpec, "stdin">;
/** spareKey: a spare serves only callers whose spec is the same in every field. */
const spareKey = (s: StartSpec) => JSON.stringify([s.argv, s.netns, s.env ?? {}, s.okCodes ?? [0], s.timeoutMs ?? null]);

/** RealExecutorOptions: spares are commands kept started, one each, for startEarly to take. */
export interface RealExecutorOptions {
  spares?: StartSpec[];
}

/**
 * RealExecutor runs commands on this machine. A long-lived caller (the CNI agent) can keep spare
 * processes started: spawning blocks Node for ~1 ms here (fork of a large process), so a spare
 * taken by startEarly moves that off the caller's path; the replacement is started once the taken
 * one has answered, while the caller's next command runs on another core.
 */
export class RealExecutor implements Executor {
  private readonly spares = new Map<string, { spec: StartSpec; ready?: EarlyCommand }>();
  private closed = false;

  constructor(options: RealExecutorOptions = {}) {
    for (const spec of options.spares ?? []) {
      this.spares.set(spareKey(spec), { spec });
      this.refill(spareKey(spec));
    }
  }

  /** takeSpare hands out the started spare for spec, if one is ready. */
  takeSpare(spec: StartSpec): EarlyCommand | undefined {
    const key = spareKey(spec);
    const slot = this.spares.get(key);
    const taken = slot?.ready;
    if (!slot || !taken) return undefined;
    slot.ready = undefined;
    if (!taken.waiting()) {
      // it exited while it waited (killed, say): start a fresh one for the next caller, not this one
      this.refill(key);
      return undefined;
    }
    const again = () => setImmediate(() => this.refill(key));
    return {
      feed: (stdin) => {
        const r = taken.feed(stdin);
        r.then(again, again);
        return r;
      },
      cancel: () => {
        taken.cancel();
        again();
      },
      waiting: () => taken.waiting(),
    };
  }

  /** close ends the spare processes and starts no more. */
  close(): void {
    this.closed = true;
    for (const slot of this.spares.values()) slot.ready?.cancel();
    this.spares.clear();
  }

  private refill(key: string): void {
    const slot = this.spares.get(key);
    if (this.closed || !slot || slot.ready) return;
    slot.ready = startNow(this, slot.spec);
  }

  run(spec: CommandSpec): Promise<CommandResult> {
    const [cmd, ...args] = wrapArgv(spec);
    return new Promise((resolve, reject) => {
      const child = spawn(cmd as string, args, {
        env: childEnv(spec.env),
        stdio: ["pipe", "pipe", "pipe"],
      });
      // the time limit runs from when the command has its input (a spare may wait for it for hours)
      let timer: NodeJS.Timeout | undefined;
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (b: Buffer) => out.push(b));
      child.stderr.on("data", (b: Buffer) => err.push(b));
      child.on("error", (e) => {
        clearTimeout(timer);
        reject(new ExecError(spec, null, "", e));
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        const stdout = Buffer.concat(out).toString();
        const stderr = Buffer.concat(err).toString();
        const rc = code ?? (signal ? signalExit(signal) : -1);
        if ((spec.okCodes ?? [0]).includes(rc)) resolve({ stdout, stderr, code: rc });
        else reject(new ExecError(spec, rc, signal ? `${stderr}killed by ${signal}` : stderr, undefined, stdout));
      });
      child.stdin.on("error", () => {}); // the command may exit before reading all input
      const give = (text: string) => {
        if (child.exitCode !== null || child.signalCode !== null) return; // it did not wait
        timer = setTimeout(() => child.kill("SIGKILL"), spec.timeoutMs ?? 120_000);
        timer.unref();
        child.stdin.end(text);
      };
      if (typeof spec.stdin === "object") spec.stdin.then(give, () => give(""));
      else give(spec.stdin ?? "");
    });
  }

  daemon(spec: DaemonSpec): Promise<number> {
    const [cmd, ...args] = wrapArgv(spec);
    const log = openSync(spec.logFile, "a");
    return new Promise((resolve, reject) => {
      const child = spawn(cmd as string, args, {
        env: childEnv(spec.env),
        stdio: ["ignore", spec.readyLine ? "pipe" : log, log],
        detached: true,
        ...(spec.cwd ? { cwd: spec.cwd } : {}),
      });
      closeSync(log);
      const ready = spec.readyLine;
      if (!ready) {
        child.once("error", (e) => reject(new ExecError(spec, null, `see ${spec.logFile}`, e)));
        child.once("spawn", () => {
          child.unref();
          resolve(child.pid as number);
        });
        return;
      }
      let seen = "";
      const timer = setTimeout(
        () => fail(new Error(`no "${spec.readyLine}" within ${spec.timeoutMs ?? 10_000} ms`)),
        spec.timeoutMs ?? 10_000,
      );
      const fail = (e: unknown) => {
        clearTimeout(timer);
        if (child.pid !== undefined) {
          try {
            process.kill(child.pid, "SIGKILL");
          } catch {}
        }
        reject(new ExecError(spec, child.exitCode, `see ${spec.logFile}`, e));
      };
      child.on("error", fail);
      child.on("exit", (code) => fail(new Error(`exited with code ${code} before it was ready (log: ${spec.logFile})`)));
      child.stdout?.on("data", (b: Buffer) => {
        seen += b.toString();
        if (!seen.split("\n").includes(ready)) return;
        clearTimeout(timer);
        child.removeAllListeners("exit");
        child.stdout?.destroy();
        child.unref();
        resolve(child.pid as number);
      });
    });
  }

  stream(spec: CommandSpec, onData: (chunk: Buffer) => void, onError: (line: string) => void = () => {}): Stream {
    const [cmd, ...args] = wrapArgv(spec);
    const child = spawn(cmd as string, args, { env: childEnv(spec.env), stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", onData);
    let err = "";
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
      const lines = err.split("\n");
      err = lines.pop() ?? "";
      for (const l of lines) if (l) onError(l);
    });
    const done = new Promise<number>((resolve) => {
      child.on("error", (e) => {
        onError(e.message);
        resolve(-1);
      });
      child.on("close", (code, signal) => resolve(code ?? (signal ? signalExit(signal) : -1)));
    });
    return {
      stop: (signal = "SIGTERM") => {
        if (child.pid !== undefined && child.exitCode === null)
          try {
            process.kill(child.pid, signal);
          } catch {}
      },
      done,
    };
  }

  interactive(spec: CommandSpec): Promise<number> {
    const [cmd, ...args] = wrapArgv(spec);
    return new Promise((resolve, reject) => {
      const child = spawn(cmd as string, args, { env: childEnv(spec.env), stdio: "inherit" });
      // A terminal's Ctrl-C reaches the whole process group; a SIGTERM or SIGHUP sent to this process
      // alone is passed on, so the child stops first and this process still runs what follows it.
      const forward = (sig: NodeJS.Signals) => child.kill(sig);
      const signals = ["SIGTERM", "SIGHUP"] as const;
      for (const sig of signals) process.on(sig, forward);
      const done = () => {
        for (const sig of signals) process.removeListener(sig, forward);
      };
      child.on("error", (e) => {
        done();
        reject(new ExecError(spec, null, "", e));
      });
      child.on("close", (code, signal) => {
        done();
        resolve(code ?? (signal ? signalExit(signal) : 1));
      });
    });
  }
}
