// The load generators' client: aws-client's AwsJsonClient over its own undici
// pool, calls signed ahead and sent once (no retries), so a benchmark spends its
// CPU on sending and treats every target alike (src/aws-client/README.md says why).

import { Pool } from "undici";
import { AwsJsonClient, type AnyOperations, type JsonApi, type OperationShapes } from "../../src/aws-client/aws-json-client.js";

export interface PooledTarget {
  /** http://host:port */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export class PooledJsonClient<Ops extends { readonly [K in keyof Ops]: OperationShapes } = AnyOperations> extends AwsJsonClient<Ops> {
  private readonly pool: Pool;

  constructor(api: JsonApi, target: PooledTarget, opts: { readonly maxSockets?: number } = {}) {
    const pool = new Pool(new URL(target.endpoint).origin, { connections: opts.maxSockets ?? 16, pipelining: 1 });
    const { endpoint, region, accessKeyId, secretAccessKey } = target;
    super(api, { endpoint, region, credentials: { accessKeyId, secretAccessKey }, dispatcher: pool, maxAttempts: 1 });
    this.pool = pool;
  }

  /** Closes the pool; resolves when its sockets are closed. */
  async shutdown(): Promise<void> {
    await this.pool.destroy();
  }
}
