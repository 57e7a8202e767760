// Repositories: create, describe, delete (force), tag mutability, scanning
// configuration, and resource tags on repository ARNs.

import type { RequestContext } from "../../edge/json-protocol.js";
import type { ImageTagMutability, ImageTagMutabilityExclusionFilter, Tag } from "../../model/generated/ecr.js";
import { decideAccess } from "../../registry/policy.js";
import { isRepositoryName } from "../../registry/names.js";
import type { RepositoryRecord } from "../../store/registry-store.js";
import { UniqueViolation } from "../../store/store.js";
import { checkRegistryId, presentRepository, repositoryFor, type EcrDeps, type EcrHandlers } from "./handler-dependencies.js";
import { ecrErrors } from "./errors.js";
import { nextToken, pageRequest } from "./pagination.js";

/** Account-level actions (no repository policy applies): root may, agents only what pulls need. */
export function requireAccountAction(deps: EcrDeps, ctx: RequestContext, action: string): void {
  const decision = decideAccess({ caller: ctx.principal, registryAccountId: deps.accountId, action });
  if (!decision.allowed) throw ecrErrors.accessDenied(`User: ${ctx.principal.arn} is not authorized to perform: ${action}`);
}

export function validateTags(tags: readonly Tag[] | undefined): readonly Tag[] {
  if (!tags) return [];
  const seen = new Set<string>();
  for (const t of tags) {
    if (t.Key.length < 1 || t.Key.length > 128) throw ecrErrors.invalidTagParameter(`Tag key '${t.Key}' must have 1 to 128 characters.`);
    if ((t.Value ?? "").length > 256) throw ecrErrors.invalidTagParameter(`The value of tag '${t.Key}' must have at most 256 characters.`);
    if (t.Key.toLowerCase().startsWith("aws:")) throw ecrErrors.invalidTagParameter(`Tag key '${t.Key}' uses the reserved prefix 'aws:'.`);
    if (seen.has(t.Key)) throw ecrErrors.invalidTagParameter(`Tag key '${t.Key}' is given more than once.`);
    seen.add(t.Key);
  }
  return tags;
}

function mergeTags(current: readonly Tag[], added: readonly Tag[]): Tag[] {
  const byKey = new Map(current.map((t) => [t.Key, t]));
  for (const t of added) byKey.set(t.Key, { Key: t.Key, Value: t.Value ?? "" });
  if (byKey.size > 50) throw ecrErrors.tooManyTags(`A repository can have at most 50 tags; this would give it ${byKey.size}.`);
  return [...byKey.values()];
}

export function validateMutability(
  mode: ImageTagMutability,
  filters: readonly ImageTagMutabilityExclusionFilter[] | undefined,
): readonly ImageTagMutabilityExclusionFilter[] | undefined {
  const withExclusions = mode === "IMMUTABLE_WITH_EXCLUSION" || mode === "MUTABLE_WITH_EXCLUSION";
  if (!withExclusions) {
    if (filters && filters.length > 0) {
      throw ecrErrors.invalidParameter(`imageTagMutabilityExclusionFilters can only be given with IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION, not ${mode}.`);
    }
    return undefined;
  }
  if (!filters || filters.length === 0 || filters.length > 5) {
    throw ecrErrors.invalidParameter(`${mode} needs 1 to 5 imageTagMutabilityExclusionFilters (for example {"filterType":"WILDCARD","filter":"latest"}).`);
  }
  return filters;
}

/** The repository an ECR ARN names, or InvalidParameterException. */
function repositoryNameFromArn(deps: EcrDeps, region: string, arn: string): string {
  const prefix = `arn:aws:ecr:${region}:${deps.accountId}:repository/`;
  const name = arn.startsWith(prefix) ? arn.slice(prefix.length) : "";
  if (!isRepositoryName(name)) {
    throw ecrErrors.invalidParameter(`Invalid parameter at 'resourceArn' failed to satisfy constraint: '${arn}' is not a repository ARN of the form ${prefix}<name>.`);
  }
  return name;
}

export function repositoryHandlers(deps: EcrDeps): EcrHandlers {
  const { registry } = deps;
  const store = registry.store;
  return {
    CreateRepository: async (input, ctx) => {
      checkRegistryId(deps, input.registryId, input.repositoryName);
      requireAccountAction(deps, ctx, "ecr:CreateRepository");
      if (!isRepositoryName(input.repositoryName)) {
        throw ecrErrors.invalidParameter(
          `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*'' and be 2 to 256 characters`,
        );
      }
      if (registry.isReservedName(ctx.region, input.repositoryName)) {
        throw ecrErrors.invalidParameter(
          `The repository name '${input.repositoryName}' starts with this registry's own AWS host name, which Berth's registry paths use to name a region. Choose another name.`,
        );
      }
      const mode = input.imageTagMutability ?? "MUTABLE";
      const filters = validateMutability(mode, input.imageTagMutabilityExclusionFilters);
      const tags = mergeTags([], validateTags(input.tags));
      const encryption = input.encryptionConfiguration ?? { encryptionType: "AES256" as const };
      if (encryption.encryptionType === "AES256" && encryption.kmsKey !== undefined) {
        throw ecrErrors.invalidParameter("kmsKey can only be given with encryptionType KMS or KMS_DSSE.");
      }
      const record: RepositoryRecord = {
        path: registry.pathOf(ctx.region, input.repositoryName),
        name: input.repositoryName,
        arn: registry.repositoryArn(ctx.region, input.repositoryName),
        createdAt: ctx.now,
        imageTagMutability: mode,
        ...(filters ? { imageTagMutabilityExclusionFilters: filters } : {}),
        scanOnPush: input.imageScanningConfiguration?.scanOnPush ?? false,
        encryptionConfiguration: encryption,
        tags,
      };
      try {
        await store.registry.tx((tx) => tx.insertRepository(record));
      } catch (err) {
        if (err instanceof UniqueViolation) {
          throw ecrErrors.repositoryAlreadyExists(
            `The repository with name '${input.repositoryName}' already exists in the registry with id '${deps.accountId}'`,
          );
        }
        throw err;
      }
      return { repository: presentRepository(deps, record) };
    },

    DescribeRepositories: (input, ctx) =>
      store.registry.tx(async (tx) => {
        checkRegistryId(deps, input.registryId);
        if (input.repositoryNames) {
          if (input.nextToken !== undefined || input.maxResults !== undefined) {
            throw ecrErrors.invalidParameter("nextToken and maxResults cannot be used together with repositoryNames.");
          }
          const repositories = [];
          for (const name of input.repositoryNames) {
            repositories.push(presentRepository(deps, await repositoryFor(deps, tx, ctx, { repositoryName: name }, "ecr:DescribeRepositories")));
          }
          return { repositories };
        }
        requireAccountAction(deps, ctx, "ecr:DescribeRepositories");
        const page = await tx.listRepositories({ ...pageRequest(input, 100), region: ctx.region });
        const token = nextToken(page);
        return { repositories: page.items.map((r) => presentRepository(deps, r)), ...(token ? { nextToken: token } : {}) };
      }),

    DeleteRepository: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, input, "ecr:DeleteRepository", "update");
        if (!input.force && (await tx.countManifests(repo.path)) > 0) {
          throw ecrErrors.repositoryNotEmpty(
            `The repository with name '${repo.name}' in registry with id '${deps.accountId}' cannot be deleted because it still contains images`,
          );
        }
        // Blobs only this repository used are freed by the next garbage collection.
        await tx.deleteRepository(repo.path);
        return { repository: presentRepository(deps, repo) };
      }),

    PutImageTagMutability: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, input, "ecr:PutImageTagMutability", "update");
        const filters = validateMutability(input.imageTagMutability, input.imageTagMutabilityExclusionFilters);
        const rest: RepositoryRecord = { ...repo };
        delete (rest as { imageTagMutabilityExclusionFilters?: unknown }).imageTagMutabilityExclusionFilters;
        await tx.putRepository({ ...rest, imageTagMutability: input.imageTagMutability, ...(filters ? { imageTagMutabilityExclusionFilters: filters } : {}) });
        return {
          registryId: deps.accountId,
          repositoryName: repo.name,
          imageTagMutability: input.imageTagMutability,
          ...(filters ? { imageTagMutabilityExclusionFilters: filters } : {}),
        };
      }),

    PutImageScanningConfiguration: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, input, "ecr:PutImageScanningConfiguration", "update");
        const scanOnPush = input.imageScanningConfiguration.scanOnPush ?? false;
        await tx.putRepository({ ...repo, scanOnPush });
        return { registryId: deps.accountId, repositoryName: repo.name, imageScanningConfiguration: { scanOnPush } };
      }),

    BatchGetRepositoryScanningConfiguration: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const scanningConfigurations = [];
        const failures = [];
        for (const name of input.repositoryNames) {
          const repo = await tx.getRepository(name);
          if (!repo) {
            failures.push({ repositoryName: name, failureCode: "REPOSITORY_NOT_FOUND" as const, failureReason: "REPOSITORY_NOT_FOUND" });
            continue;
          }
          await repositoryFor(deps, tx, ctx, { repositoryName: name }, "ecr:BatchGetRepositoryScanningConfiguration");
          scanningConfigurations.push({
            repositoryArn: repo.arn,
            repositoryName: repo.name,
            scanOnPush: repo.scanOnPush,
            scanFrequency: repo.scanOnPush ? ("SCAN_ON_PUSH" as const) : ("MANUAL" as const),
            appliedScanFilters: [],
          });
        }
        return { scanningConfigurations, failures };
      }),

    GetRegistryScanningConfiguration: (_input, ctx) => {
      requireAccountAction(deps, ctx, "ecr:GetRegistryScanningConfiguration");
      return Promise.resolve({ registryId: deps.accountId, scanningConfiguration: { scanType: "BASIC", rules: [] } });
    },

    TagResource: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, { repositoryName: repositoryNameFromArn(deps, ctx.region, input.resourceArn) }, "ecr:TagResource", "update");
        await tx.putRepository({ ...repo, tags: mergeTags(repo.tags, validateTags(input.tags)) });
        return {};
      }),

    UntagResource: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, { repositoryName: repositoryNameFromArn(deps, ctx.region, input.resourceArn) }, "ecr:UntagResource", "update");
        const drop = new Set(input.tagKeys);
        await tx.putRepository({ ...repo, tags: repo.tags.filter((t) => !drop.has(t.Key)) });
        return {};
      }),

    ListTagsForResource: (input, ctx) =>
      store.registry.tx(async (tx) => {
        const repo = await repositoryFor(deps, tx, ctx, { repositoryName: repositoryNameFromArn(deps, ctx.region, input.resourceArn) }, "ecr:ListTagsForResource");
        return { tags: [...repo.tags] };
      }),
  };
}
