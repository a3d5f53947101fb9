/**
 * V8 keeps a string built by concatenation (`a + b`, template literals) as a tree of its pieces
 * until something reads it whole. Strings the proxy stores for its lifetime (rule lines, keys,
 * names) would keep those trees: several heap objects per string, all copied by every garbage
 * collection that runs while a large ruleset is being built.
 */

/**
 * flat returns s as one sequential string. `normalize` (NFC) is the identity on ASCII text, which
 * is all a flattened value may hold here (Kubernetes names, IP addresses, rule syntax), and V8
 * answers it by flattening the string.
 */
export function flat(s: string): string {
  return s.normalize();
}
