/**
 * iptables rule text. A rule is its spec, the arguments after `-A CHAIN` as `iptables -S` prints
 * them, so a listed rule compares with a wanted one as plain text. Specs are built by the data
 * planes (they own what to match); the `-A CHAIN` framing, quoting and the checks that keep a spec
 * from spanning lines live here.
 */
import { NetfilterError } from "./types.js";

/** RuleText is `-A CHAIN spec` lines joined by newlines, made only by ruleLine / chainRules. */
export type RuleText = string & { readonly __ruleText: unique symbol };

function checkChain(chain: string): void {
  if (chain.includes(" ") || chain.includes("\n") || chain === "")
    throw new NetfilterError(`failed to render rules of chain ${JSON.stringify(chain)}: not a chain name`);
}

function checkSpec(chain: string, spec: string): void {
  if (spec.includes("\n")) throw new NetfilterError(`failed to render rule in chain "${chain}": it spans lines`);
}

/** ruleLine is one `-A CHAIN spec` line. */
export function ruleLine(chain: string, spec: string): RuleText {
  checkChain(chain);
  checkSpec(chain, spec);
  return `-A ${chain} ${spec}` as RuleText;
}

/** chainRules renders a chain's rules as one text (lines joined by newlines; "" for none). Joining gives one flat string. */
export function chainRules(chain: string, specs: readonly string[]): RuleText {
  checkChain(chain);
  const lines = new Array<string>(specs.length);
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i] as string;
    checkSpec(chain, spec);
    lines[i] = `-A ${chain} ${spec}`;
  }
  return lines.join("\n") as RuleText;
}

/** joinRules joins rule texts of one or more chains into one text. */
export function joinRules(texts: readonly RuleText[]): RuleText {
  return texts.join("\n") as RuleText;
}

/** unsafe says whether text holds a quote, a backslash or a newline (which would break out of a quoted argument or a line). */
function unsafe(text: string): boolean {
  return text.includes('"') || text.includes("\\") || text.includes("\n");
}

/** comment renders `-m comment --comment X`, quoting X when it has spaces (kube-proxy's restore spelling). */
export function comment(text: string): string {
  checkComment(text);
  return `-m comment --comment ${text.includes(" ") ? `"${text}"` : text}`;
}

/** savedComment renders a comment as iptables -S prints it: quoted unless only letters, digits, `-` and `_`. */
export function savedComment(text: string): string {
  checkComment(text);
  return `-m comment --comment ${/^[A-Za-z0-9_-]+$/.test(text) ? text : `"${text}"`}`;
}

function checkComment(text: string): void {
  if (unsafe(text))
    throw new NetfilterError(`failed to render comment ${JSON.stringify(text)}: quotes, backslashes and newlines are not allowed`);
}

/** quoteArgs joins arguments into a spec, quoting those with spaces as iptables -S does. */
export function quoteArgs(args: readonly string[]): string {
  return args
    .map((a) => {
      if (/["\\\n]/.test(a)) throw new NetfilterError(`failed to render argument ${JSON.stringify(a)}`);
      return /\s/.test(a) || a === "" ? `"${a}"` : a;
    })
    .join(" ");
}

/** splitArgs splits a spec into arguments, honouring double quotes (iptables-restore's reading). */
export function splitArgs(spec: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  let started = false;
  for (const ch of spec) {
    if (ch === '"') {
      quoted = !quoted;
      started = true;
    } else if (!quoted && /\s/.test(ch)) {
      if (started) out.push(cur);
      cur = "";
      started = false;
    } else {
      cur += ch;
      started = true;
    }
  }
  if (started) out.push(cur);
  return out;
}

/** specOf is the spec of a listed `-A CHAIN spec` line of chain, or undefined for a line of another chain. */
export function specOf(line: string, chain: string): string | undefined {
  const head = `-A ${chain} `;
  return line.startsWith(head) ? line.slice(head.length) : undefined;
}

/** targetOf is a spec's `-j` target, if it has one. */
export function targetOf(spec: string): string | undefined {
  const args = splitArgs(spec);
  const i = args.lastIndexOf("-j");
  return i >= 0 ? args[i + 1] : undefined;
}
