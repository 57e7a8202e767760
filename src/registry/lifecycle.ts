// Lifecycle policies: validation as ECR does it, and evaluation as ECR's
// documentation describes it. Pure: images and the time come in, the images
// to expire come out.
//
// Evaluation, rule by rule in rulePriority order (lowest first):
//   select  the images whose tags satisfy the rule (tagged/untagged/any, prefixes, patterns)
//   count   newest first; imageCountMoreThan keeps the first countNumber,
//           sinceImagePushed marks those pushed more than countNumber days ago
//   mark    the counted-out images, unless a higher-priority rule selected them
// Invariant: an image is expired by at most one rule, and never by a rule of
// lower priority than one that selected it; images marked by a higher rule
// still count for lower rules (ECR: "identified as if they haven't been expired").

import { wildcardMatcher } from "./names.js";

export class LifecyclePolicyError extends Error {}

export type TagStatusSelection = "tagged" | "untagged" | "any";

export interface LifecycleRule {
  readonly rulePriority: number;
  readonly description?: string;
  readonly selection: {
    readonly tagStatus: TagStatusSelection;
    readonly tagPrefixList?: readonly string[];
    readonly tagPatternList?: readonly string[];
    readonly countType: "imageCountMoreThan" | "sinceImagePushed";
    readonly countUnit?: "days";
    readonly countNumber: number;
  };
  readonly action: { readonly type: "expire" };
}

export interface LifecyclePolicy {
  readonly rules: readonly LifecycleRule[];
}

export interface LifecycleImage {
  readonly digest: string;
  readonly tags: readonly string[];
  readonly pushedAt: Date;
}

export interface Expiration {
  readonly digest: string;
  readonly tags: readonly string[];
  readonly pushedAt: Date;
  readonly rulePriority: number;
}

const dayMs = 24 * 60 * 60 * 1000;
const selectionKeys = new Set(["tagStatus", "tagPrefixList", "tagPatternList", "countType", "countUnit", "countNumber"]);
const ruleKeys = new Set(["rulePriority", "description", "selection", "action"]);

function fail(why: string): never {
  throw new LifecyclePolicyError(`Lifecycle policy validation failure: ${why}`);
}

function stringList(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== "string" || v === "")) {
    fail(`${where} must be a non-empty list of non-empty strings`);
  }
  return value as string[];
}

/** Parses and validates a lifecycle policy; throws LifecyclePolicyError saying what to fix. */
export function parseLifecyclePolicy(text: string): LifecyclePolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    fail("the policy text is not valid JSON");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) fail("the policy must be a JSON object with a 'rules' list");
  const rawRules = (doc as Record<string, unknown>)["rules"];
  if (!Array.isArray(rawRules) || rawRules.length === 0) fail("'rules' must be a non-empty list");
  const priorities = new Set<number>();
  const rules = rawRules.map((raw, i): LifecycleRule => {
    const at = `rules[${i}]`;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(`${at} must be an object`);
    const r = raw as Record<string, unknown>;
    for (const key of Object.keys(r)) if (!ruleKeys.has(key)) fail(`${at} has an unknown field '${key}'`);
    const priority = r["rulePriority"];
    if (typeof priority !== "number" || !Number.isInteger(priority) || priority < 1) fail(`${at}.rulePriority must be an integer of at least 1`);
    if (priorities.has(priority)) fail(`rulePriority ${priority} is used by more than one rule; priorities must be unique`);
    priorities.add(priority);
    if (r["description"] !== undefined && typeof r["description"] !== "string") fail(`${at}.description must be a string`);
    const sel = r["selection"];
    if (typeof sel !== "object" || sel === null || Array.isArray(sel)) fail(`${at}.selection must be an object`);
    const s = sel as Record<string, unknown>;
    for (const key of Object.keys(s)) if (!selectionKeys.has(key)) fail(`${at}.selection has an unknown field '${key}'`);
    const tagStatus = s["tagStatus"];
    if (tagStatus !== "tagged" && tagStatus !== "untagged" && tagStatus !== "any") fail(`${at}.selection.tagStatus must be 'tagged', 'untagged' or 'any'`);
    const prefixes = s["tagPrefixList"] === undefined ? undefined : stringList(s["tagPrefixList"], `${at}.selection.tagPrefixList`);
    const patterns = s["tagPatternList"] === undefined ? undefined : stringList(s["tagPatternList"], `${at}.selection.tagPatternList`);
    if (tagStatus === "tagged") {
      if (!prefixes && !patterns) fail(`${at}: a rule with tagStatus 'tagged' needs a tagPrefixList or a tagPatternList`);
      if (prefixes && patterns) fail(`${at}: give either tagPrefixList or tagPatternList, not both`);
    } else if (prefixes || patterns) {
      fail(`${at}: tagPrefixList and tagPatternList are only allowed with tagStatus 'tagged'`);
    }
    for (const p of patterns ?? []) {
      if ((p.match(/\*/g) ?? []).length > 4) fail(`${at}: tag pattern '${p}' has more than 4 wildcards`);
    }
    const countType = s["countType"];
    if (countType !== "imageCountMoreThan" && countType !== "sinceImagePushed") fail(`${at}.selection.countType must be 'imageCountMoreThan' or 'sinceImagePushed'`);
    const countNumber = s["countNumber"];
    if (typeof countNumber !== "number" || !Number.isInteger(countNumber) || countNumber < 1) fail(`${at}.selection.countNumber must be an integer of at least 1`);
    const countUnit = s["countUnit"];
    if (countType === "sinceImagePushed" && countUnit !== "days") fail(`${at}: countType 'sinceImagePushed' needs countUnit 'days'`);
    if (countType === "imageCountMoreThan" && countUnit !== undefined) fail(`${at}: countUnit is only allowed with countType 'sinceImagePushed'`);
    const action = r["action"];
    if (typeof action !== "object" || action === null || (action as Record<string, unknown>)["type"] !== "expire") {
      fail(`${at}.action must be {"type": "expire"}`);
    }
    return {
      rulePriority: priority,
      ...(typeof r["description"] === "string" ? { description: r["description"] } : {}),
      selection: {
        tagStatus,
        ...(prefixes ? { tagPrefixList: prefixes } : {}),
        ...(patterns ? { tagPatternList: patterns } : {}),
        countType,
        ...(countType === "sinceImagePushed" ? { countUnit: "days" as const } : {}),
        countNumber,
      },
      action: { type: "expire" },
    };
  });
  const sorted = [...rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const anyRule = sorted.findIndex((r) => r.selection.tagStatus === "any");
  if (anyRule >= 0 && anyRule !== sorted.length - 1) {
    fail("a rule with tagStatus 'any' must have the highest rulePriority, so it is evaluated last");
  }
  return { rules: sorted };
}

/** Whether the rule's tag requirements select the image; with several prefixes or patterns, each must match one of its tags. */
export function selects(rule: LifecycleRule, image: LifecycleImage): boolean {
  const s = rule.selection;
  switch (s.tagStatus) {
    case "any":
      return true;
    case "untagged":
      return image.tags.length === 0;
    case "tagged":
      if (image.tags.length === 0) return false;
      if (s.tagPrefixList) return s.tagPrefixList.every((p) => image.tags.some((t) => t.startsWith(p)));
      return (s.tagPatternList ?? []).every((p) => {
        const re = wildcardMatcher(p);
        return image.tags.some((t) => re.test(t));
      });
  }
}

/** The images the policy expires now, each with the rule that expires it. */
export function evaluateLifecycle(policy: LifecyclePolicy, images: readonly LifecycleImage[], now: Date): Expiration[] {
  const newestFirst = [...images].sort((a, b) => b.pushedAt.getTime() - a.pushedAt.getTime() || a.digest.localeCompare(b.digest));
  const selectedEarlier = new Set<string>();
  const expired = new Map<string, Expiration>();
  for (const rule of policy.rules) {
    const candidates = newestFirst.filter((image) => selects(rule, image));
    const counted =
      rule.selection.countType === "imageCountMoreThan"
        ? candidates.slice(rule.selection.countNumber)
        : candidates.filter((image) => now.getTime() - image.pushedAt.getTime() > rule.selection.countNumber * dayMs);
    for (const image of counted) {
      if (selectedEarlier.has(image.digest) || expired.has(image.digest)) continue;
      expired.set(image.digest, { digest: image.digest, tags: image.tags, pushedAt: image.pushedAt, rulePriority: rule.rulePriority });
    }
    for (const image of candidates) selectedEarlier.add(image.digest);
  }
  return [...expired.values()];
}
