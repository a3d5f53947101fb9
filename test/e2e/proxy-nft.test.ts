/** The proxy suite (proxy-suite.ts) in nftables mode: the same traffic, kube-proxy's nftables layout. */
import { NFTABLES, proxySuite } from "./proxy-suite.js";

proxySuite(NFTABLES);
