/**
 * A command started before its input is known. Starting a process costs ~2 ms here (exec, dynamic
 * loading, entering a namespace, opening netlink); a CNI ADD starts its `ip` processes first and
 * computes their batches (IPAM, the bridge's answer) meanwhile.
 */
import type { CommandSpec, EarlyCommand, Executor } from "./types.js";

/**
 * startEarly starts spec's command now (or takes one the executor keeps ready) and lets the caller
 * supply its stdin later.
 */
export function startEarly(exec: Executor, spec: Omit<CommandSpec, "stdin">): EarlyCommand {
  return exec.takeSpare?.(spec) ?? startNow(exec, spec);
}

/** startNow starts spec's command and lets the caller supply its stdin later. */
export function startNow(exec: Executor, spec: Omit<CommandSpec, "stdin">): EarlyCommand {
  let give: ((text: string) => void) | undefined;
  let withdraw: ((e: Error) => void) | undefined;
  const input = new Promise<string>((resolve, reject) => {
    give = resolve;
    withdraw = reject;
  });
  input.catch(() => {});
  const result = exec.run({ ...spec, stdin: input });
  let exited = false;
  result.then(
    () => (exited = true),
    () => (exited = true), // a cancelled command's outcome is nobody's business
  );
  const done = () => {
    give = undefined;
    withdraw = undefined;
  };
  return {
    feed(stdin) {
      if (!give) return exec.run({ ...spec, stdin });
      give(stdin);
      done();
      return result;
    },
    cancel() {
      withdraw?.(new Error(`"${spec.argv.join(" ")}" was not needed`));
      done();
    },
    waiting: () => give !== undefined && !exited,
  };
}
