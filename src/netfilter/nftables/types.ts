/** Errors of the nftables layer. */

/** NftError is a failed nft command or a change nft cannot take: `failed to <verb> <thing>: <cause>`. */
export class NftError extends Error {
  readonly stderr: string | undefined;
  constructor(msg: string, options?: { cause?: unknown; stderr?: string }) {
    super(msg, options);
    this.name = "NftError";
    this.stderr = options?.stderr;
  }
}
