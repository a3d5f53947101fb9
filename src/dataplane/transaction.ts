/**
 * NodeTransaction is everything one change does to one node's kernel, as data: iproute changes,
 * traffic control, links to remove once no filter uses them, ipsets, iptables changes per family,
 * ipsets to remove, and sysctls. A node applies it in that order (devices before the filters that
 * redirect to them, sets before the rules that use them, their removal after; sysctls last: they
 * may name an interface the iproute part creates); `render` prints it for `podnet render`.
 */
import { IpTransaction, renderBatches } from "../iproute/index.js";
import { IpsetTransaction, IptablesTransaction } from "../netfilter/index.js";
import { TcTransaction } from "../tc/index.js";

/** Section is one titled part of a rendered transaction. */
export interface Section {
  title: string;
  text: string;
}

const SYSCTL_KEY = /^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$/;
const SYSCTL_VALUE = /^[A-Za-z0-9_-]+$/;

/** NodeTransaction is one node's changes across iproute, iptables and sysctls. */
export class NodeTransaction {
  readonly ip = new IpTransaction();
  /** tc runs after the iproute changes (the devices its filters redirect to exist by then). */
  readonly tc = new TcTransaction();
  /** ipAfter runs after tc: deleting devices that filters no longer redirect to. */
  readonly ipAfter = new IpTransaction();
  /** ipsets are created and filled before the iptables changes. */
  readonly ipsets = new IpsetTransaction();
  /** ipsetsAfter run after the iptables changes: destroying sets that rules no longer use. */
  readonly ipsetsAfter = new IpsetTransaction();
  readonly iptables = { 4: new IptablesTransaction(4), 6: new IptablesTransaction(6) } as const;
  readonly sysctls = new Map<string, string>();

  /** sysctl sets a kernel parameter (key and value are checked: they become one argv word each). */
  sysctl(key: string, value: string | number): this {
    const v = String(value);
    if (!SYSCTL_KEY.test(key) || !SYSCTL_VALUE.test(v))
      throw new Error(`failed to set sysctl ${JSON.stringify(key)}: invalid key or value ${JSON.stringify(v)}`);
    this.sysctls.set(key, v);
    return this;
  }

  /** append adds another transaction's changes after this one's. */
  append(other: NodeTransaction): this {
    this.ip.append(other.ip);
    this.tc.append(other.tc);
    this.ipAfter.append(other.ipAfter);
    this.ipsets.append(other.ipsets);
    this.ipsetsAfter.append(other.ipsetsAfter);
    for (const f of [4, 6] as const) for (const s of other.iptables[f].sections()) this.iptables[f].table(s.table).appendSteps(s.ops);
    for (const [k, v] of other.sysctls) this.sysctls.set(k, v);
    return this;
  }

  /** size counts the changes. */
  get size(): number {
    return (
      this.ip.size +
      this.tc.size +
      this.ipAfter.size +
      this.ipsets.size +
      this.ipsetsAfter.size +
      this.iptables[4].size +
      this.iptables[6].size +
      this.sysctls.size
    );
  }

  /** empty says whether the transaction changes nothing. */
  get empty(): boolean {
    return this.size === 0;
  }

  /** render prints each part under the command that applies it. */
  render(): Section[] {
    const ipBatches = (tx: IpTransaction): Section[] => renderBatches(tx).map((b) => ({ title: `${b.tool} -batch -`, text: b.text }));
    const out = ipBatches(this.ip);
    if (!this.tc.empty) out.push({ title: "tc -batch -", text: this.tc.render() });
    out.push(...ipBatches(this.ipAfter));
    if (!this.ipsets.empty) out.push({ title: "ipset restore -exist", text: this.ipsets.render() });
    for (const f of [4, 6] as const) {
      const text = this.iptables[f].render();
      if (text) out.push({ title: `${f === 6 ? "ip6tables" : "iptables"}-restore --noflush`, text });
    }
    if (!this.ipsetsAfter.empty) out.push({ title: "ipset restore -exist", text: this.ipsetsAfter.render() });
    if (this.sysctls.size) out.push({ title: "sysctl -w", text: [...this.sysctls].map(([k, v]) => `${k}=${v}\n`).join("") });
    return out;
  }
}

/** renderSections prints sections as `# title` blocks separated by blank lines. */
export function renderSections(sections: Section[]): string {
  return sections.map((s) => `# ${s.title}\n${s.text}`).join("\n");
}
