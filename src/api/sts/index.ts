// AWS STS (2011-06-15) on the edge, over the query protocol: who the caller is.
// Roles, AssumeRole and session credentials come with IAM; until then every
// caller is the account's root user or the agent's role.

import type { Subsystem } from "../../subsystem.js";
import { defineApi, type RequestContext, type ServedApi } from "../../edge/json-protocol.js";
import { ApiModel } from "../../model/api-model.js";
import type { GetCallerIdentityResponse, Operations } from "../../model/generated/sts.js";

export const stsModel = ApiModel.load("sts");

/** The caller as STS names it: a role's caller is a session of that role (`assumed-role/NAME/SESSION`). */
function callerIdentity({ principal, accountId }: RequestContext): GetCallerIdentityResponse {
  const role = /^arn:aws:iam::(\d+):role\/(?:.*\/)?([^/]+)$/.exec(principal.arn);
  if (!role) return { UserId: accountId, Account: accountId, Arn: principal.arn };
  const [, account = accountId, name = ""] = role;
  // A role's unique id starts AROA; Berth derives a stable one from the key the role's sessions sign with.
  return { UserId: `AROA${principal.accessKeyId.slice(4)}:${name}`, Account: account, Arn: `arn:aws:sts::${account}:assumed-role/${name}/${name}` };
}

export function stsService(): ServedApi {
  return defineApi<Operations>(
    stsModel,
    { GetCallerIdentity: (_input, ctx) => Promise.resolve(callerIdentity(ctx)) },
    // AWS answers it whatever the caller's policies say.
    ["GetCallerIdentity"],
  );
}

export function stsSubsystem(): Subsystem {
  return { apis: [stsService()] };
}
