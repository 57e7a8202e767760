// GetAuthorizationToken: a registry password for `docker login --username AWS`,
// base64("AWS:" + token), valid 12 hours (see src/registry/auth-token.ts).

import { tokenLifetimeMs } from "../../registry/auth-token.js";
import type { EcrDeps, EcrHandlers } from "./handler-dependencies.js";
import { requireAccountAction } from "./repositories.js";

export function authHandlers(deps: EcrDeps): EcrHandlers {
  return {
    GetAuthorizationToken: (_input, ctx) => {
      requireAccountAction(deps, ctx, "ecr:GetAuthorizationToken");
      const expiresAt = new Date(ctx.now.getTime() + tokenLifetimeMs);
      const token = deps.tokenKey.issue({ accessKeyId: ctx.principal.accessKeyId, expiresAt });
      return Promise.resolve({
        authorizationData: [
          {
            authorizationToken: Buffer.from(`AWS:${token}`).toString("base64"),
            expiresAt,
            proxyEndpoint: `http://${deps.registry.deps.publicHost()}`,
          },
        ],
      });
    },
  };
}
