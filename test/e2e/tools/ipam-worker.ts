/**
 * One podnet process sharing an IPAM directory with host-local (see ipam-shared.test.ts): until
 * the deadline it allocates a live address, checks the file still names its owner, seeds a "dead"
 * allocation (a container that crashed), runs GC's part of IPAM (release, by owner, everything of
 * dead containers) and releases the live one after checking again. It prints one JSON line:
 * operations done and every live address it found lost.
 * Usage: node ipam-worker.js DATA_DIR NETWORK SUBNET ID DURATION_MS
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Allocator } from "../../../src/ipam/allocator.js";
import { IpamError } from "../../../src/ipam/types.js";

const [dataDir = "", network = "", subnet = "", id = "", duration = "0"] = process.argv.slice(2);
const alloc = new Allocator(network, { type: "podnet", subnet, dataDir });
const owner = (ip: string) => {
  try {
    return readFileSync(join(dataDir, network, ip), "utf8").split("\r\n")[0];
  } catch {
    return undefined;
  }
};
const lost: string[] = [];
let ops = 0;
const deadline = Date.now() + Number(duration);
const tolerate = (e: unknown) => {
  if (!(e instanceof IpamError && e.kind === "exhausted")) throw e;
};
for (let n = 0; Date.now() < deadline; n++) {
  const live = `pn-${id}-${n}`;
  const got = await alloc.allocate(live, "eth0").catch(tolerate);
  await alloc.allocate(`dead-${id}-${n}`, "eth0").catch(tolerate);
  for (const a of alloc.allocations()) if (a.containerId.startsWith("dead-")) await alloc.release(a.containerId, a.ifname);
  const ip = got?.ips[0]?.address.split("/")[0];
  if (ip && owner(ip) !== live) lost.push(`${live} ${ip} (now ${owner(ip) ?? "nobody"})`);
  await alloc.release(live, "eth0");
  ops += 3;
}
process.stdout.write(`${JSON.stringify({ ops, lost })}\n`);
