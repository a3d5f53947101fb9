/**
 * host-local's on-disk layout, so operators can inspect and migrate allocations:
 * `<dataDir>/<network>/<ip>` holds "<containerID>\r\n<ifname>", `last_reserved_ip.<set>` the last
 * address handed out of each range set, and `lock` is the file host-local flocks, which podnet locks
 * the same way. An address is reserved by creating its file with O_EXCL, so two processes can never
 * both get it. The directory is created by the first lock, so a refused config leaves nothing.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isIP } from "../util/ip.js";
import { LockTimeoutError, withFlock } from "../util/flock.js";
import type { Allocation, IpamStore } from "./store.js";
import { IpamError } from "./types.js";

const LINE_BREAK = "\r\n";

/** DiskStore is one network's allocation directory. */
export class DiskStore implements IpamStore {
  readonly dir: string;
  constructor(dataDir: string, network: string) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(network)) throw new IpamError("config", `invalid network name "${network}"`);
    this.dir = join(dataDir, network);
  }

  /** lock creates the directory if needed and runs fn holding the flock on its `lock` file. */
  lock<T>(fn: () => T | Promise<T>): Promise<T> {
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (e) {
      throw new IpamError("io", `failed to create IPAM directory "${this.dir}": ${(e as Error).message}`, { cause: e });
    }
    return withFlock(join(this.dir, "lock"), fn).catch((e: unknown) => {
      if (e instanceof LockTimeoutError) throw new IpamError("busy", e.message, { cause: e });
      throw e;
    });
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
      throw new IpamError("io", `failed to reserve IP "${ip}": ${(e as Error).message}`, { cause: e });
    }
  }

  /** allocations lists every reserved address and its owner. */
  allocations(): Allocation[] {
    const out: Allocation[] = [];
    let files: string[];
    try {
      files = readdirSync(this.dir);
    } catch {
      return out; // never allocated from
    }
    for (const f of files) {
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

  /** release frees one address. */
  release(ip: string): void {
    try {
      unlinkSync(join(this.dir, ip));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT")
        throw new IpamError("io", `failed to release IP "${ip}": ${(e as Error).message}`, { cause: e });
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
