/**
 * RecordingExecutor is the unit-test fake: it records every call (argv, netns, stdin) and answers
 * from a handler, so tests assert exactly which commands a piece of code would run.
 */
import { type CommandResult, type CommandSpec, type DaemonSpec, ExecError, type Executor, type Stream } from "./types.js";

/** FakeReply is what a handler returns for one call: output, or an exit code that makes the call fail. */
export type FakeReply = Partial<CommandResult> | undefined;

/** RecordedCall is one command the code under test asked to run. */
export interface RecordedCall {
  argv: string[];
  netns: string | null;
  stdin: string | undefined;
  env: CommandSpec["env"];
}

/** RecordingExecutor records commands instead of running them. */
export class RecordingExecutor implements Executor {
  readonly calls: RecordedCall[] = [];
  private nextPid = 1000;
  constructor(private readonly handler: (call: RecordedCall) => FakeReply = () => undefined) {}

  /** run records the call once its input is known; a call whose input promise rejects is not recorded (it would run nothing). */
  async run(spec: CommandSpec): Promise<CommandResult> {
    const call = this.record({ ...spec, stdin: await spec.stdin });
    const reply = this.handler(call) ?? {};
    const result = { stdout: reply.stdout ?? "", stderr: reply.stderr ?? "", code: reply.code ?? 0 };
    if (!(spec.okCodes ?? [0]).includes(result.code)) throw new ExecError(spec, result.code, result.stderr, undefined, result.stdout);
    return result;
  }

  async daemon(spec: DaemonSpec): Promise<number> {
    await this.run(spec);
    return this.nextPid++;
  }

  /** stream records the call and hands its reply's stdout over as one chunk. */
  stream(spec: CommandSpec, onData: (chunk: Buffer) => void): Stream {
    const call = this.record({ ...spec, stdin: undefined });
    const reply = this.handler(call) ?? {};
    if (reply.stdout) onData(Buffer.from(reply.stdout));
    return { stop: () => {}, done: Promise.resolve(reply.code ?? 0) };
  }

  async interactive(spec: CommandSpec): Promise<number> {
    return (await this.run({ ...spec, okCodes: [] }).catch((e: ExecError) => ({ code: e.code ?? 1 }))).code;
  }

  /** commands lists the recorded argv lines joined by spaces, prefixed with the netns when there is one. */
  commands(): string[] {
    return this.calls.map((c) => (c.netns === null ? "" : `[${c.netns}] `) + c.argv.join(" "));
  }

  private record(spec: CommandSpec & { stdin?: string }): RecordedCall {
    const call = { argv: [...spec.argv], netns: spec.netns, stdin: spec.stdin, env: spec.env };
    this.calls.push(call);
    return call;
  }
}
