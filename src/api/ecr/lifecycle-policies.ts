// Lifecycle policies: put (validated as ECR validates), get, delete, and the
// preview (evaluated at once, kept until the next preview).

import type { LifecyclePolicyPreviewResult } from "../../model/generated/ecr.js";
import { LifecyclePolicyError, parseLifecyclePolicy, type Expiration } from "../../registry/lifecycle.js";
import { previewLifecycle } from "../../registry/lifecycle-runner.js";
import { repositoryFor, type EcrDeps, type EcrHandlers } from "./handler-dependencies.js";
import { ecrErrors } from "./errors.js";
import { pageOf, pageRequest } from "./pagination.js";

function validated(text: string): ReturnType<typeof parseLifecyclePolicy> {
  try {
    return parseLifecyclePolicy(text);
  } catch (err) {
    if (err instanceof LifecyclePolicyError) {
      throw ecrErrors.invalidParameter(`Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: '${err.message}'`);
    }
    throw err;
  }
}

interface StoredExpiration {
  readonly digest: string;
  readonly tags: readonly string[];
  readonly pushedAt: number;
  readonly rulePriority: number;
}

export function lifecycleHandlers(deps: EcrDeps): EcrHandlers {
  const store = deps.registry.store;
  const notFound = (name: string): Error =>
    ecrErrors.lifecyclePolicyNotFound(`Lifecycle policy does not exist for the repository with name '${name}' in the registry with id '${deps.accountId}'`);
  return {
    PutLifecyclePolicy: async (input, ctx) => {
      validated(input.lifecyclePolicyText);
      const repo = await store.registry.tx(async (tx) => {
        const r = await repositoryFor(deps, tx, ctx, input, "ecr:PutLifecyclePolicy", "update");
        await tx.putRepository({ ...r, lifecyclePolicy: input.lifecyclePolicyText });
        return r;
      });
      deps.jobs.lifecycleSoon(repo.path);
      return { registryId: deps.accountId, repositoryName: repo.name, lifecyclePolicyText: input.lifecyclePolicyText };
    },
    GetLifecyclePolicy: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, input, "ecr:GetLifecyclePolicy");
        if (repo.lifecyclePolicy === undefined) throw notFound(repo.name);
        return {
          registryId: deps.accountId,
          repositoryName: repo.name,
          lifecyclePolicyText: repo.lifecyclePolicy,
          ...(repo.lifecycleEvaluatedAt ? { lastEvaluatedAt: repo.lifecycleEvaluatedAt } : {}),
        };
      }),
    DeleteLifecyclePolicy: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, input, "ecr:DeleteLifecyclePolicy", "update");
        if (repo.lifecyclePolicy === undefined) throw notFound(repo.name);
        const { lifecyclePolicy, lifecycleEvaluatedAt, ...rest } = repo;
        await tx.putRepository(rest);
        return {
          registryId: deps.accountId,
          repositoryName: repo.name,
          lifecyclePolicyText: lifecyclePolicy,
          ...(lifecycleEvaluatedAt ? { lastEvaluatedAt: lifecycleEvaluatedAt } : {}),
        };
      }),
    StartLifecyclePolicyPreview: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, input, "ecr:StartLifecyclePolicyPreview");
        const text = input.lifecyclePolicyText ?? repo.lifecyclePolicy;
        if (text === undefined) throw notFound(repo.name);
        const expirations = await previewLifecycle(tx, repo.path, validated(text), ctx.now);
        const result: StoredExpiration[] = expirations.map((e: Expiration) => ({ ...e, pushedAt: e.pushedAt.getTime() }));
        // Evaluated at once: the preview is complete by the time this returns.
        await tx.putLifecyclePreview({ repository: repo.path, status: "COMPLETE", policy: text, startedAt: ctx.now, result: JSON.stringify(result) });
        return { registryId: deps.accountId, repositoryName: repo.name, lifecyclePolicyText: text, status: "COMPLETE" };
      }),
    GetLifecyclePolicyPreview: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, input, "ecr:GetLifecyclePolicyPreview");
        const preview = await tx.getLifecyclePreview(repo.path);
        if (!preview) {
          throw ecrErrors.lifecyclePolicyPreviewNotFound(
            `There is no preview result for the repository with name '${repo.name}' in the registry with id '${deps.accountId}'; start one with StartLifecyclePolicyPreview.`,
          );
        }
        const all = JSON.parse(preview.result ?? "[]") as StoredExpiration[];
        const tagStatus = input.filter?.tagStatus ?? "ANY";
        const wanted = input.imageIds;
        const shown = all.filter((e) => {
          if (tagStatus === "TAGGED" && e.tags.length === 0) return false;
          if (tagStatus === "UNTAGGED" && e.tags.length > 0) return false;
          if (wanted && !wanted.some((id) => (id.imageDigest === undefined || id.imageDigest === e.digest) && (id.imageTag === undefined || e.tags.includes(id.imageTag)))) {
            return false;
          }
          return true;
        });
        const page = pageOf(shown, pageRequest(input, 100));
        const previewResults: LifecyclePolicyPreviewResult[] = page.items.map((e) => ({
          ...(e.tags.length > 0 ? { imageTags: [...e.tags] } : {}),
          imageDigest: e.digest,
          imagePushedAt: new Date(e.pushedAt),
          action: { type: "EXPIRE" },
          appliedRulePriority: e.rulePriority,
        }));
        return {
          registryId: deps.accountId,
          repositoryName: repo.name,
          lifecyclePolicyText: preview.policy,
          status: preview.status as "COMPLETE",
          previewResults,
          summary: { expiringImageTotalCount: all.length },
          ...(page.nextToken ? { nextToken: page.nextToken } : {}),
        };
      }),
  };
}
