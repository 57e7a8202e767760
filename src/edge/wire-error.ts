// Any error a request ends with, as the AWS error its client expects: the edge's
// one mapping, so every protocol answers a failure the same way.

import { AwsError, errors } from "../errors.js";
import { isStorageFull } from "../store/storage-full.js";

/**
 * The JSON 1.1 wire shape of an error. Unknown errors become ServerException.
 * A full disk does too, on purpose: HTTP 500 is retried by every SDK (botocore's
 * legacy and standard modes, the JavaScript and Go SDKs) and ServerException is
 * in every ECS operation's model, where a throttling error would tell adaptive
 * clients to slow down for a fault that is the server's, not their rate.
 */
export function toAwsError(err: unknown): { error: AwsError; unexpected: boolean } {
  if (err instanceof AwsError) return { error: err, unexpected: false };
  if (isStorageFull(err)) {
    return { error: errors.server("Berth's data directory is full: nothing was written. Retry the request once space is freed."), unexpected: false };
  }
  return { error: errors.server("An internal error occurred. Retry the request."), unexpected: true };
}
