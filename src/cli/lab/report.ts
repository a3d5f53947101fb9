/** Printing what apply and delete did, kubectl's way: result lines on stdout, errors on stderr, rc 1 on any error. */
import type { Outcome } from "../../lab/apply.js";

/** report prints an outcome and sets the exit code. */
export function report(o: Outcome): void {
  for (const l of o.lines) process.stdout.write(`${l}\n`);
  for (const w of o.warnings ?? []) process.stderr.write(`${w}\n`);
  for (const e of o.errors) process.stderr.write(`${e}\n`);
  if (o.errors.length > 0) process.exitCode = 1;
}
