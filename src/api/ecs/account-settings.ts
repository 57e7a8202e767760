// Account settings: per-principal values over account defaults over Berth's
// built-in defaults (ECS's "effective settings").

import { errors } from "../../errors.js";
import type { Setting, SettingName } from "../../model/generated/ecs.js";
import type { RequestContext } from "../../edge/json-protocol.js";
import type { Tx } from "../../store/store.js";
import type { EcsDeps, EcsHandlers } from "./handler-dependencies.js";
import { nextTokenOf, pageOf, pageRequest } from "./pagination.js";

const onOff = ["enabled", "disabled"];

/** Each setting's allowed values, and the value that holds when nobody set one. */
const settingRules: Readonly<Record<SettingName, { readonly values: readonly string[]; readonly fallback: string }>> = {
  serviceLongArnFormat: { values: onOff, fallback: "enabled" },
  taskLongArnFormat: { values: onOff, fallback: "enabled" },
  containerInstanceLongArnFormat: { values: onOff, fallback: "enabled" },
  awsvpcTrunking: { values: onOff, fallback: "disabled" },
  containerInsights: { values: ["enabled", "disabled", "enhanced"], fallback: "disabled" },
  fargateFIPSMode: { values: onOff, fallback: "disabled" },
  tagResourceAuthorization: { values: ["on", "off"], fallback: "on" },
  fargateTaskRetirementWaitPeriod: { values: ["0", "7", "14"], fallback: "7" },
  guardDutyActivate: { values: ["on", "off"], fallback: "off" },
  defaultLogDriverMode: { values: ["blocking", "non-blocking"], fallback: "non-blocking" },
  fargateEventWindows: { values: onOff, fallback: "disabled" },
};

/**
 * The account default is stored under this principal. The root user's own
 * setting is the account default, as in ECS: one record, read by everyone
 * who has not set their own.
 */
const accountDefault = "";

const rootArn = (accountId: string): string => `arn:aws:iam::${accountId}:root`;

/** Where a principal's own settings are kept. */
const storedUnder = (principalArn: string, accountId: string): string => (principalArn === rootArn(accountId) ? accountDefault : principalArn);

/** A setting's value for the caller: their own, else the account default, else the built-in default. */
export async function effectiveAccountSetting(tx: Tx, ctx: RequestContext, name: SettingName): Promise<string> {
  const own = (await tx.getAccountSettings(ctx.region, storedUnder(ctx.principal.arn, ctx.accountId))).find((s) => s.name === name);
  const byDefault = (await tx.getAccountSettings(ctx.region, accountDefault)).find((s) => s.name === name);
  return own?.value ?? byDefault?.value ?? settingRules[name].fallback;
}

function checkValue(name: SettingName, value: string): void {
  const rule = settingRules[name];
  if (!rule.values.includes(value)) {
    throw errors.invalidParameter(`Invalid value '${value}' for setting ${name}: use one of ${rule.values.join(", ")}.`);
  }
}

function checkPrincipal(arn: string): void {
  if (!/^arn:aws:iam::\d{12}:(root|user\/.+|role\/.+)$/.test(arn)) {
    throw errors.invalidParameter(`Invalid principalArn '${arn}': give an IAM user, role or root ARN.`);
  }
}

export function accountSettingHandlers({ store }: EcsDeps): EcsHandlers {
  return {
    PutAccountSetting: (input, ctx) =>
      store.tx(async (tx) => {
        checkValue(input.name, input.value);
        const principalArn = input.principalArn ?? ctx.principal.arn;
        checkPrincipal(principalArn);
        await tx.putAccountSetting(ctx.region, storedUnder(principalArn, ctx.accountId), input.name, input.value);
        return { setting: { name: input.name, value: input.value, principalArn, type: "user" } };
      }),

    PutAccountSettingDefault: (input, ctx) =>
      store.tx(async (tx) => {
        checkValue(input.name, input.value);
        await tx.putAccountSetting(ctx.region, accountDefault, input.name, input.value);
        return { setting: { name: input.name, value: input.value, principalArn: rootArn(ctx.accountId), type: "user" } };
      }),

    DeleteAccountSetting: (input, ctx) =>
      store.tx(async (tx) => {
        const principalArn = input.principalArn ?? ctx.principal.arn;
        checkPrincipal(principalArn);
        const key = storedUnder(principalArn, ctx.accountId);
        const current = (await tx.getAccountSettings(ctx.region, key)).find((s) => s.name === input.name);
        if (!current || !(await tx.deleteAccountSetting(ctx.region, key, input.name))) {
          throw errors.invalidParameter(`No ${input.name} setting is set for ${principalArn}.`);
        }
        return { setting: { ...current, principalArn, type: "user" } };
      }),

    ListAccountSettings: (input, ctx) =>
      store.read(async (tx) => {
        const principalArn = input.principalArn ?? ctx.principal.arn;
        checkPrincipal(principalArn);
        if (input.value !== undefined && input.name === undefined) {
          throw errors.invalidParameter("Filtering by value requires a setting name.");
        }
        const own = new Map(
          (await tx.getAccountSettings(ctx.region, storedUnder(principalArn, ctx.accountId))).map((s) => [s.name, { ...s, principalArn }]),
        );
        let settings: Setting[];
        if (input.effectiveSettings) {
          const defaults = new Map((await tx.getAccountSettings(ctx.region, accountDefault)).map((s) => [s.name, s]));
          settings = (Object.keys(settingRules) as SettingName[]).map((name): Setting => {
            const set = own.get(name);
            if (set) return { ...set, type: "user" };
            const byDefault = defaults.get(name);
            if (byDefault) {
              const { value } = byDefault;
              return { name, ...(value === undefined ? {} : { value }), principalArn: rootArn(ctx.accountId), type: "user" };
            }
            return { name, value: settingRules[name].fallback, principalArn: rootArn(ctx.accountId), type: "aws_managed" };
          });
        } else {
          settings = [...own.values()].map((s) => ({ ...s, type: "user" }));
        }
        settings = settings
          .filter((s) => (input.name === undefined || s.name === input.name) && (input.value === undefined || s.value === input.value))
          .sort((a, b) => (a.name ?? "").localeCompare(b.name ?? ""));
        const page = pageOf(settings, pageRequest(input, 10), (s) => s.name!);
        return { settings: [...page.items], ...nextTokenOf(page) };
      }),
  };
}
