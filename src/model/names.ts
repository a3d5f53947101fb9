/**
 * Kubernetes name rules. Names reach netns names, rule comments and file paths, so every name is
 * checked here before it is stored; nothing downstream ever sees a name that fails these.
 */

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** dnsLabelError explains why s is not an RFC 1123 label, or returns undefined. */
export function dnsLabelError(s: string): string | undefined {
  if (s.length > 63) return "must be no more than 63 characters";
  if (!LABEL.test(s)) return "must be a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit";
  return undefined;
}

/** dns1035LabelError explains why s is not an RFC 1035 label (Service names), or returns undefined. */
export function dns1035LabelError(s: string): string | undefined {
  if (s.length > 63) return "must be no more than 63 characters";
  if (!LABEL1035.test(s))
    return "must be a DNS-1035 label: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit";
  return undefined;
}

/** dnsSubdomainError explains why s is not an RFC 1123 subdomain, or returns undefined. */
export function dnsSubdomainError(s: string): string | undefined {
  if (s.length > 253) return "must be no more than 253 characters";
  if (!s.split(".").every((p) => LABEL.test(p)))
    return "must be a DNS subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit";
  return undefined;
}

/** portNameError explains why s is not an IANA service name (port names), or returns undefined. */
export function portNameError(s: string): string | undefined {
  if (s.length > 15) return "must be no more than 15 characters";
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(s) || s.includes("--") || !/[a-z]/.test(s))
    return "must be an IANA service name: lower-case letters, digits and single '-', with at least one letter";
  return undefined;
}

/** labelKeyError explains why k is not a valid label or annotation key, or returns undefined. */
export function labelKeyError(k: string): string | undefined {
  const slash = k.lastIndexOf("/");
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if (prefix !== undefined && dnsSubdomainError(prefix)) return `prefix "${prefix}" ${dnsSubdomainError(prefix)}`;
  if (name.length === 0 || name.length > 63 || !QUALIFIED.test(name))
    return "name part must be 1-63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  return undefined;
}

/** labelValueError explains why v is not a valid label value, or returns undefined. */
export function labelValueError(v: unknown): string | undefined {
  if (typeof v !== "string") return "must be a string";
  if (v === "") return undefined;
  if (v.length > 63 || !QUALIFIED.test(v))
    return "must be at most 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  return undefined;
}
