// Repository policies (Set/Get/DeleteRepositoryPolicy) and DescribeRegistry.
// Evaluation lives in src/registry/policy.ts; here policies are validated and kept.

import { parseRepositoryPolicy, PolicyError } from "../../registry/policy.js";
import { checkRegistryId, repositoryFor, type EcrDeps, type EcrHandlers } from "./handler-dependencies.js";
import { ecrErrors } from "./errors.js";
import { requireAccountAction } from "./repositories.js";

export function policyHandlers(deps: EcrDeps): EcrHandlers {
  const store = deps.registry.store;
  const notFound = (name: string): Error =>
    ecrErrors.repositoryPolicyNotFound(`Repository policy does not exist for the repository with name '${name}' in the registry with id '${deps.accountId}'`);
  return {
    SetRepositoryPolicy: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, input, "ecr:SetRepositoryPolicy", "update");
        try {
          parseRepositoryPolicy(input.policyText);
        } catch (err) {
          if (err instanceof PolicyError) throw ecrErrors.invalidParameter(`Invalid parameter at 'PolicyText' failed to satisfy constraint: '${err.message}'`);
          throw err;
        }
        await tx.putRepository({ ...repo, policy: input.policyText });
        return { registryId: deps.accountId, repositoryName: repo.name, policyText: input.policyText };
      }),
    GetRepositoryPolicy: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, input, "ecr:GetRepositoryPolicy");
        if (repo.policy === undefined) throw notFound(repo.name);
        return { registryId: deps.accountId, repositoryName: repo.name, policyText: repo.policy };
      }),
    DeleteRepositoryPolicy: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, input, "ecr:DeleteRepositoryPolicy", "update");
        if (repo.policy === undefined) throw notFound(repo.name);
        const { policy, ...rest } = repo;
        await tx.putRepository(rest);
        return { registryId: deps.accountId, repositoryName: repo.name, policyText: policy };
      }),
    DescribeRegistry: (_input, ctx) => {
      checkRegistryId(deps, undefined);
      requireAccountAction(deps, ctx, "ecr:DescribeRegistry");
      return Promise.resolve({ registryId: deps.accountId, replicationConfiguration: { rules: [] } });
    },
  };
}
