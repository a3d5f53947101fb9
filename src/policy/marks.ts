/**
 * The packet mark bits policy uses, clear of kube-proxy's 0x4000 (masquerade) and 0x8000 (drop):
 * the ingress group of the destination pod in bits 0-11, the egress group of the source pod in
 * bits 16-27 (both set from ipset maps in the mangle table), and one "allowed" bit a policy chain
 * sets when a rule of it matches.
 */

/** INGRESS_MASK holds the destination pod's ingress group id. */
export const INGRESS_MASK = 0x00000fff;
/** EGRESS_SHIFT places the source pod's egress group id. */
export const EGRESS_SHIFT = 16;
/** EGRESS_MASK holds the source pod's egress group id. */
export const EGRESS_MASK = 0x0fff0000;
/** ALLOW_BIT says a policy of the current group allowed the packet. */
export const ALLOW_BIT = 0x10000000;
/** ALL_BITS are every bit policy writes. */
export const ALL_BITS = INGRESS_MASK | EGRESS_MASK | ALLOW_BIT;
/** MAX_GROUPS is how many distinct sets of policies one direction of one node can tell apart. */
export const MAX_GROUPS = INGRESS_MASK;

/** hex prints a mark as iptables -S does. */
export const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** MARK_ALLOW is the target a matching rule jumps to. */
export const MARK_ALLOW = `-j MARK --set-xmark ${hex(ALLOW_BIT)}/${hex(ALLOW_BIT)}`;
/** IF_ALLOWED matches packets a policy allowed. */
export const IF_ALLOWED = `-m mark --mark ${hex(ALLOW_BIT)}/${hex(ALLOW_BIT)}`;
