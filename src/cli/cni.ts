/** `podnet cni agent`: serve the native podnet-cni shim's calls on a unix socket in this network namespace. */
import type { Command } from "commander";
import { AGENT_SOCKET, serveAgent } from "../cni/agent.js";
import { RealExecutor } from "../exec/real.js";

/** registerCni adds `podnet cni agent`. */
export function registerCni(program: Command): void {
  const cni = program.command("cni").description("podnet-cni's node agent");
  cni
    .command("agent")
    .description("serve CNI calls from the podnet-cni executable on a unix socket (run it in the node's network namespace)")
    .option("--socket <path>", "socket path; the executable reads PODNET_CNI_SOCKET, else this default", AGENT_SOCKET)
    .action(async (o: { socket: string }) => {
      const server = await serveAgent(new RealExecutor(), o.socket);
      process.stdout.write("ready\n");
      for (const sig of ["SIGTERM", "SIGINT"] as const) process.once(sig, () => server.close());
    });
}
