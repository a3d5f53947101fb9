/** Field-level validation errors, reported the way the API server words them. */

/** FieldError is one problem with one field. */
export interface FieldError {
  field: string;
  message: string;
}

/** Errors collects FieldErrors under a path prefix. */
export class Errors {
  readonly list: FieldError[] = [];
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
  get ok(): boolean {
    return this.list.length === 0;
  }
}

/** ValidationError is an object rejected with the fields at fault. */
export class ValidationError extends Error {
  constructor(
    readonly ref: string,
    readonly fields: FieldError[],
  ) {
    super(`${ref} is invalid: ${fields.map((f) => `${f.field}: ${f.message}`).join("; ")}`);
    this.name = "ValidationError";
  }
}

/** isObj says whether v is a plain object. */
export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** isPort says whether v is an integer port number 1-65535. */
export function isPort(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;
}

/** PROTOCOLS are the protocols Kubernetes accepts for ports. */
export const PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;

/** checkEnum adds an error when a present value is not one of the allowed strings. */
export function checkEnum(errs: Errors, field: string, v: unknown, allowed: readonly string[]): void {
  if (v !== undefined && !allowed.includes(v as string))
    errs.add(field, `Unsupported value: ${JSON.stringify(v)}: supported values: ${allowed.map((a) => `"${a}"`).join(", ")}`);
}

/** checkStringMap validates a labels/annotations/selector map with per-key and per-value checks. */
export function checkStringMap(
  errs: Errors,
  field: string,
  v: unknown,
  keyErr: (k: string) => string | undefined,
  valErr: (v: unknown) => string | undefined,
): void {
  if (v === undefined) return;
  if (!isObj(v)) return errs.add(field, "must be a map of strings");
  for (const [k, val] of Object.entries(v)) {
    const ke = keyErr(k);
    if (ke) errs.add(`${field}[${JSON.stringify(k)}]`, `Invalid key: ${ke}`);
    const ve = valErr(val);
    if (ve) errs.add(`${field}[${JSON.stringify(k)}]`, `Invalid value: ${JSON.stringify(val)}: ${ve}`);
  }
}
