/**
 * host-local's on-disk layout, so operators can inspect and migrate allocations:
 * `<dataDir>/<network>/<ip>` holds "<containerID>\r\n<ifname>", `last_reserved_ip.<set>` the last
 * address handed out of each range set, and `lock` is the directory lock file. An address is reserved
 * by creating its file with O_EXCL, so two processes can never both get it.
 */
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { CniCode, CniError } from "../cni/types.js";
import { isIP } from "../util/ip.js";

const LINE_BREAK = "\r\n";

/** Allocation is one reserved address with its owner. */
export interface Allocation {
  ip: string;
  containerId: string;
  ifname: string;
}

/** DiskStore is one network's allocation directory. */
export class DiskStore {
  readonly dir: string;
  constructor(dataDir: string, network: string) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(network))
      throw new CniError(CniCode.InvalidConfig, `invalid network name "${network}"`);
    this.dir = join(dataDir, network);
    mkdirSync(this.dir, { recursive: true });
    closeSync(openSync(join(this.dir, "lock"), "a"));
  }

  /** reserve claims ip for a container; false when someone else holds it. */
  reserve(ip: string, containerId: string, ifname: string): boolean {
    try {
      const fd = openSync(join(this.dir, ip), "wx", 0o644);
      try {
        writeFileSync(fd, `${containerId.trim()}${LINE_BREAK}${ifname}`);
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw new CniError(CniCode.IOFailure, `failed to reserve IP "${ip}": ${(e as Error).message}`);
    }
  }

  /** allocations lists every reserved address and its owner. */
  allocations(): Allocation[] {
    const out: Allocation[] = [];
    for (const f of readdirSync(this.dir)) {
      if (!isIP(f)) continue;
      let text: string;
      try {
        text = readFileSync(join(this.dir, f), "utf8");
      } catch {
        continue; // released while we listed
      }
      const [id = "", ifname = ""] = text.trim().split(/\r?\n/);
      out.push({ ip: f, containerId: id.trim(), ifname: ifname.trim() });
    }
    return out;
  }

  /** byOwner lists the addresses held by a container's interface (legacy files with no ifname match any). */
  byOwner(containerId: string, ifname: string): Allocation[] {
    return this.allocations().filter(
      (a) => a.containerId === containerId && (a.ifname === ifname || a.ifname === ""),
    );
  }

  /** release frees one address. */
  release(ip: string): void {
    try {
      unlinkSync(join(this.dir, ip));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT")
        throw new CniError(CniCode.IOFailure, `failed to release IP "${ip}": ${(e as Error).message}`);
    }
  }

  /** lastReserved reads the last address handed out of a range set. */
  lastReserved(set: number): string | undefined {
    try {
      return readFileSync(join(this.dir, `last_reserved_ip.${set}`), "utf8").trim();
    } catch {
      return undefined;
    }
  }

  /** setLastReserved records the last address handed out of a range set. */
  setLastReserved(set: number, ip: string): void {
    writeFileSync(join(this.dir, `last_reserved_ip.${set}`), ip);
  }
}
