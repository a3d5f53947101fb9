/**
 * V8 keeps a string built by concatenation (`a + b`, template literals) as a tree of its pieces
 * until something reads it whole. Rule lines the proxy stores for its lifetime would keep those
 * trees: a dozen heap objects per line, all copied by every garbage collection that runs while a
 * large ruleset is being built. (Short two-piece strings such as keys are left alone: flattening
 * them costs more than it saves.)
 */

/**
 * flat returns s as one sequential string. `normalize` (NFC) is the identity on ASCII text, which
 * is all a flattened value may hold here (Kubernetes names, IP addresses, rule syntax), and V8
 * answers it by flattening the string.
 */
export function flat(s: string): string {
  return s.normalize();
}
