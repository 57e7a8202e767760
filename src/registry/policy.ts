// Repository policies (SetRepositoryPolicy): parsing, validation and
// evaluation, as IAM evaluates a resource policy. Pure: no I/O, no clock.
//
//   explicit Deny in the policy  → denied   (even for the account's root)
//   root of this account         → allowed  (its identity policy allows ecr:*)
//   an Allow in the policy       → allowed  (how other principals get pull or push)
//   Berth's agent, pull actions  → allowed  (the task execution role's defaults)
//   anything else                → denied
//
// Conditions: StringEquals/StringLike/StringNotEquals/StringNotLike/ArnEquals/
// ArnLike on aws:PrincipalArn and aws:PrincipalAccount are evaluated; a
// statement with any other condition never applies (neither its Allow nor its Deny).

export class PolicyError extends Error {}

export type Effect = "Allow" | "Deny";

interface Condition {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
}

export interface PolicyStatement {
  readonly sid?: string;
  readonly effect: Effect;
  /** "*" for anyone; else ARNs or account ids. */
  readonly principals: "*" | readonly string[];
  readonly notPrincipals?: "*" | readonly string[];
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
  readonly conditions: readonly Condition[];
}

export interface RepositoryPolicy {
  readonly statements: readonly PolicyStatement[];
}

export interface PolicyCaller {
  readonly arn: string;
  /** "root" and "agent" are the kinds Berth issues keys for. */
  readonly kind: string;
}

/** ECR actions that read images: what the agent may do without a policy. */
export const pullActions: ReadonlySet<string> = new Set([
  "ecr:GetAuthorizationToken",
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
  "ecr:BatchCheckLayerAvailability",
]);

const supportedOperators = new Set(["StringEquals", "StringLike", "StringNotEquals", "StringNotLike", "ArnEquals", "ArnLike"]);
const supportedKeys = new Set(["aws:principalarn", "aws:principalaccount"]);

function fail(why: string): never {
  throw new PolicyError(`Invalid repository policy provided: ${why}`);
}

function stringList(value: unknown, what: string): string[] {
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((v) => typeof v !== "string" || v === "")) {
    fail(`${what} must be a string or a non-empty list of strings`);
  }
  return list as string[];
}

function readPrincipal(value: unknown, what: string): "*" | string[] {
  if (value === "*") return "*";
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(`${what} must be "*" or an object such as {"AWS": "arn:aws:iam::123456789012:root"}`);
  const out: string[] = [];
  for (const [kind, v] of Object.entries(value)) {
    const list = stringList(v, `${what}.${kind}`);
    if (kind === "AWS") {
      for (const p of list) {
        if (p !== "*" && !/^\d{12}$/.test(p) && !/^arn:aws[a-z-]*:(iam|sts)::\d{12}:.+$/.test(p)) {
          fail(`${what}.AWS '${p}' must be "*", a 12-digit account id or an IAM ARN`);
        }
      }
      if (list.includes("*")) return "*";
      out.push(...list);
    } else if (kind === "Service" || kind === "Federated" || kind === "CanonicalUser") {
      // Service principals never call Berth; they are kept so a policy copied from AWS is accepted.
      out.push(...list.map((p) => `${kind}:${p}`));
    } else {
      fail(`${what} has an unknown principal type '${kind}'`);
    }
  }
  return out;
}

function readActions(value: unknown, what: string): string[] {
  const list = stringList(value, what);
  for (const a of list) {
    if (a !== "*" && !/^ecr:[A-Za-z*?]+$/i.test(a)) fail(`${what} '${a}' is not an ECR action (ecr:BatchGetImage, ecr:*, …)`);
  }
  return list;
}

function readConditions(value: unknown): Condition[] {
  if (value === undefined) return [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail("Condition must be an object");
  const out: Condition[] = [];
  for (const [operator, block] of Object.entries(value as Record<string, unknown>)) {
    if (typeof block !== "object" || block === null || Array.isArray(block)) fail(`Condition.${operator} must be an object`);
    for (const [key, v] of Object.entries(block as Record<string, unknown>)) out.push({ operator, key, values: stringList(v, `Condition.${operator}.${key}`) });
  }
  return out;
}

/** Parses a policy document; throws PolicyError with ECR's message and what to fix. */
export function parseRepositoryPolicy(text: string): RepositoryPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    fail("the policy text is not valid JSON");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) fail("the policy must be a JSON object");
  const d = doc as Record<string, unknown>;
  if (d["Version"] !== undefined && d["Version"] !== "2012-10-17" && d["Version"] !== "2008-10-17") {
    fail(`Version must be "2012-10-17" or "2008-10-17"`);
  }
  const raw = d["Statement"];
  const list = Array.isArray(raw) ? raw : raw === undefined ? fail("the policy needs a Statement") : [raw];
  if (list.length === 0) fail("the policy needs at least one statement");
  const sids = new Set<string>();
  const statements = list.map((s, i): PolicyStatement => {
    if (typeof s !== "object" || s === null || Array.isArray(s)) fail(`Statement[${i}] must be an object`);
    const st = s as Record<string, unknown>;
    if (st["Effect"] !== "Allow" && st["Effect"] !== "Deny") fail(`Statement[${i}].Effect must be "Allow" or "Deny"`);
    const sid = st["Sid"];
    if (sid !== undefined) {
      if (typeof sid !== "string") fail(`Statement[${i}].Sid must be a string`);
      if (sids.has(sid)) fail(`Statement ids must be unique; '${sid}' appears twice`);
      sids.add(sid);
    }
    if ((st["Principal"] === undefined) === (st["NotPrincipal"] === undefined)) fail(`Statement[${i}] needs exactly one of Principal and NotPrincipal`);
    if ((st["Action"] === undefined) === (st["NotAction"] === undefined)) fail(`Statement[${i}] needs exactly one of Action and NotAction`);
    if (st["Resource"] !== undefined || st["NotResource"] !== undefined) fail(`Statement[${i}] must not name a Resource: a repository policy applies to its repository`);
    return {
      ...(typeof sid === "string" ? { sid } : {}),
      effect: st["Effect"],
      principals: st["Principal"] !== undefined ? readPrincipal(st["Principal"], `Statement[${i}].Principal`) : [],
      ...(st["NotPrincipal"] !== undefined ? { notPrincipals: readPrincipal(st["NotPrincipal"], `Statement[${i}].NotPrincipal`) } : {}),
      ...(st["Action"] !== undefined ? { actions: readActions(st["Action"], `Statement[${i}].Action`) } : {}),
      ...(st["NotAction"] !== undefined ? { notActions: readActions(st["NotAction"], `Statement[${i}].NotAction`) } : {}),
      conditions: readConditions(st["Condition"]),
    };
  });
  return { statements };
}

function globToRegExp(pattern: string, flags = ""): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, flags);
}

/** IAM action names are case-insensitive; `*` and `?` are wildcards. */
function actionMatches(patterns: readonly string[], action: string): boolean {
  return patterns.some((p) => globToRegExp(p, "i").test(action));
}

export function accountOf(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(arn)?.[1];
}

function principalMatches(principals: "*" | readonly string[], caller: PolicyCaller): boolean {
  if (principals === "*") return true;
  const account = accountOf(caller.arn);
  return principals.some((p) => p === caller.arn || (account !== undefined && (p === account || p === `arn:aws:iam::${account}:root`)));
}

function conditionHolds(c: Condition, caller: PolicyCaller): boolean | undefined {
  if (!supportedOperators.has(c.operator) || !supportedKeys.has(c.key.toLowerCase())) return undefined;
  const actual = c.key.toLowerCase() === "aws:principalarn" ? caller.arn : (accountOf(caller.arn) ?? "");
  const like = c.operator.endsWith("Like");
  const any = c.values.some((v) => (like ? globToRegExp(v).test(actual) : v === actual));
  return c.operator.includes("Not") ? !any : any;
}

/** Whether one statement applies to this caller and action. */
function statementApplies(s: PolicyStatement, caller: PolicyCaller, action: string): boolean {
  const who = s.notPrincipals !== undefined ? !principalMatches(s.notPrincipals, caller) : principalMatches(s.principals, caller);
  if (!who) return false;
  const what = s.notActions !== undefined ? !actionMatches(s.notActions, action) : actionMatches(s.actions ?? [], action);
  if (!what) return false;
  // Every condition must hold; one Berth cannot evaluate makes the statement not apply.
  return s.conditions.every((c) => conditionHolds(c, caller) === true);
}

/** What the policy alone says: an explicit Deny wins over any Allow. */
export function evaluatePolicy(policy: RepositoryPolicy, caller: PolicyCaller, action: string): Effect | "NoMatch" {
  let allowed = false;
  for (const s of policy.statements) {
    if (!statementApplies(s, caller, action)) continue;
    if (s.effect === "Deny") return "Deny";
    allowed = true;
  }
  return allowed ? "Allow" : "NoMatch";
}

export interface AccessDecision {
  readonly allowed: boolean;
  readonly reason: string;
}

/** The whole decision for one call on one repository (see the table at the top). */
export function decideAccess(opts: {
  readonly caller: PolicyCaller;
  readonly registryAccountId: string;
  readonly policy?: RepositoryPolicy;
  readonly action: string;
}): AccessDecision {
  const { caller, policy, action } = opts;
  const verdict = policy ? evaluatePolicy(policy, caller, action) : "NoMatch";
  if (verdict === "Deny") return { allowed: false, reason: `${action} is explicitly denied to ${caller.arn} by the repository policy` };
  if (caller.kind === "root" && accountOf(caller.arn) === opts.registryAccountId) return { allowed: true, reason: "account root" };
  if (verdict === "Allow") return { allowed: true, reason: "allowed by the repository policy" };
  if (caller.kind === "agent" && pullActions.has(action)) return { allowed: true, reason: "agents may pull" };
  return { allowed: false, reason: `${caller.arn} is not authorized to perform ${action}: no repository policy statement allows it` };
}
