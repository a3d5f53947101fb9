/** `podnet cni agent`: serve the podnet-cni executable's calls on a unix socket in this network namespace. */
import type { Command } from "commander";
import { AGENT_SOCKET, runAgent } from "../cni/agent.js";

/** registerCni adds `podnet cni agent` (the same agent as `podnet-cni agent`). */
export function registerCni(program: Command): void {
  const cni = program.command("cni").description("podnet-cni's node agent");
  cni
    .command("agent")
    .description("serve CNI calls from the podnet-cni executable on a unix socket (run it in the node's network namespace)")
    .option("--socket <path>", "socket path; the executable reads PODNET_CNI_SOCKET, else this default", AGENT_SOCKET)
    .action((o: { socket: string }) => runAgent(o.socket));
}
