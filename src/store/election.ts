/**
 * Leader election on a Datastore, as client-go's leaderelection does it on a Lease object, but
 * with the datastore's own lease for liveness: the leader is whoever created the
 * coordination.k8s.io Lease object, written under a datastore lease it keeps alive. When the
 * leader dies its lease expires, etcd deletes the object, and the candidates watching it race to
 * create it again; exactly one create succeeds. A leader that cannot renew steps down.
 */
import type { KubeObject } from "../model/types.js";
import { type Datastore, DatastoreError, type Lease, type Watch } from "./datastore.js";

/** ElectionOptions name the election and this candidate. */
export interface ElectionOptions {
  /** name of the Lease object (in namespace `podnet-system`). */
  name: string;
  identity: string;
  ttlSeconds: number;
  /** onChange is told when this candidate becomes leader (true) or stops being it (false). */
  onChange: (leading: boolean) => void;
  log?: (line: string) => void;
}

const NAMESPACE = "podnet-system";

/** Elector takes part in one election until stopped. */
export class Elector {
  leading = false;
  private lease: Lease | undefined;
  private watch: Watch | undefined;
  private stopped = false;
  private renew: NodeJS.Timeout | undefined;

  constructor(
    private readonly ds: Datastore,
    private readonly opts: ElectionOptions,
  ) {}

  /** identity is this candidate's name in the election. */
  get identity(): string {
    return this.opts.identity;
  }

  /** start campaigns: it leads at once if nobody does, and otherwise waits for the leader's object to go. */
  async start(): Promise<void> {
    await this.campaign();
  }

  /** holder reads who leads now, if anyone. */
  async holder(): Promise<string | undefined> {
    const o = await this.ds.get<KubeObject>({ kind: "Lease", namespace: NAMESPACE, name: this.opts.name });
    return (o?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
  }

  private async campaign(): Promise<void> {
    if (this.stopped || this.leading) return;
    const key = { kind: "Lease", namespace: NAMESPACE, name: this.opts.name };
    try {
      // A fresh lease for each attempt: one granted earlier may have run out while this candidate waited.
      this.lease = await this.ds.grantLease(this.opts.ttlSeconds, false);
      await this.ds.create(
        {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: this.opts.name, namespace: NAMESPACE },
          spec: { holderIdentity: this.opts.identity, leaseDurationSeconds: this.opts.ttlSeconds, acquireTime: new Date().toISOString() },
        } as KubeObject,
        { lease: this.lease },
      );
      this.lead();
      return;
    } catch (e) {
      await this.lease?.revoke().catch(() => {});
      this.lease = undefined;
      if (!(e instanceof DatastoreError && e.reason === "AlreadyExists")) {
        this.opts.log?.(`${(e as Error).message}; trying again`);
        setTimeout(() => void this.campaign(), 1_000);
        return;
      }
    }
    // Someone leads: wait for their object to go, then race for it.
    const { resourceVersion } = await this.ds.list("Lease", NAMESPACE);
    if ((await this.ds.get(key)) === undefined) return this.campaign();
    this.watch?.stop();
    this.watch = this.ds.watch(
      "Lease",
      resourceVersion,
      (ev) => {
        if (ev.type === "DELETED" && ev.object.metadata.name === this.opts.name && ev.object.metadata.namespace === NAMESPACE) {
          this.watch?.stop();
          void this.campaign();
        }
      },
      () => {
        this.watch?.stop();
        setTimeout(() => void this.campaign(), 500);
      },
    );
  }

  private lead(): void {
    this.leading = true;
    this.opts.log?.(`${this.opts.identity} leads "${this.opts.name}"`);
    this.opts.onChange(true);
    // Renew at a third of the TTL; a renewal that fails twice in a row means the lease may be gone: step down.
    let failures = 0;
    this.renew = setInterval(
      () => {
        void this.lease
          ?.keepAlive()
          .then(() => (failures = 0))
          .catch((e: Error) => {
            if (++failures >= 2) this.stepDown(`failed to renew the lease of "${this.opts.name}": ${e.message}`);
          });
      },
      (this.opts.ttlSeconds * 1000) / 3,
    );
  }

  private stepDown(why: string): void {
    if (!this.leading) return;
    clearInterval(this.renew);
    this.leading = false;
    this.lease = undefined;
    this.opts.log?.(why);
    this.opts.onChange(false);
    if (!this.stopped) setTimeout(() => void this.campaign(), 1_000);
  }

  /** stop leaves the election; a leader hands over at once by revoking its lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.stop();
    clearInterval(this.renew);
    const wasLeading = this.leading;
    this.leading = false;
    if (wasLeading) this.opts.onChange(false);
    await this.lease?.revoke().catch(() => {});
  }

  /** abandon stops renewing without revoking, as a killed process would: the lease runs out. */
  abandon(): void {
    this.stopped = true;
    this.watch?.stop();
    clearInterval(this.renew);
    this.leading = false;
  }
}
