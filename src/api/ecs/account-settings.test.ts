// Pins the account setting actions to the ECS API reference: PutAccountSetting
// (per principal), PutAccountSettingDefault (the account's default),
// ListAccountSettings (own settings, or effective ones with ECS's defaults) and
// DeleteAccountSetting.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  DeleteAccountSettingCommand,
  InvalidParameterException,
  ListAccountSettingsCommand,
  PutAccountSettingCommand,
  PutAccountSettingDefaultCommand,
  paginateListAccountSettings,
  type ECSClient,
  type ListAccountSettingsCommandInput,
  type Setting,
  type SettingName,
} from "@aws-sdk/client-ecs";
import { rejectsWith } from "../../../test/kit/ecs-assertions.js";
import { startTestServer, type TestServer } from "../../../test/kit/harness.js";

const root = "arn:aws:iam::000000000000:root";
const alice = "arn:aws:iam::000000000000:user/alice";
const deployer = "arn:aws:iam::000000000000:role/deployer";

/** What ListAccountSettings(effectiveSettings) shows when nobody set anything. */
const awsManaged: readonly Setting[] = (
  [
    { name: "awsvpcTrunking", value: "disabled" },
    { name: "containerInsights", value: "disabled" },
    { name: "containerInstanceLongArnFormat", value: "enabled" },
    { name: "defaultLogDriverMode", value: "non-blocking" },
    { name: "fargateEventWindows", value: "disabled" },
    { name: "fargateFIPSMode", value: "disabled" },
    { name: "fargateTaskRetirementWaitPeriod", value: "7" },
    { name: "guardDutyActivate", value: "off" },
    { name: "serviceLongArnFormat", value: "enabled" },
    { name: "tagResourceAuthorization", value: "on" },
    { name: "taskLongArnFormat", value: "enabled" },
  ] satisfies { name: SettingName; value: string }[]
).map((s): Setting => ({ ...s, principalArn: root, type: "aws_managed" }));



const byName = (settings: readonly Setting[]): Setting[] => [...settings].sort((a, b) => (a.name ?? "").localeCompare(b.name ?? ""));

describe("ECS account settings", () => {
  let server: TestServer;
  let ecs: ECSClient;

  before(async () => {
    server = await startTestServer();
    ecs = server.ecs();
  });
  after(async () => {
    ecs.destroy();
    await server.stop();
  });

  /** Every page of ListAccountSettings, followed through nextToken. */
  const listAll = async (input: ListAccountSettingsCommandInput = {}): Promise<Setting[]> => {
    const all: Setting[] = [];
    for await (const page of paginateListAccountSettings({ client: ecs }, input)) all.push(...(page.settings ?? []));
    return all;
  };
  const put = (name: SettingName, value: string, principalArn?: string) =>
    ecs.send(new PutAccountSettingCommand({ name, value, ...(principalArn ? { principalArn } : {}) }));

  it("starts with no settings of one's own, and ECS's defaults as the effective ones", async () => {
    const own = await ecs.send(new ListAccountSettingsCommand({}));
    assert.deepEqual(own.settings, []);
    assert.equal(own.nextToken, undefined);
    assert.deepEqual(byName(await listAll({ effectiveSettings: true })), awsManaged);
    assert.deepEqual(byName(await listAll({ effectiveSettings: true, principalArn: alice })), awsManaged);
  });

  it("ListAccountSettings pages 10 at a time, maxResults 1 to 10", async () => {
    const first = await ecs.send(new ListAccountSettingsCommand({ effectiveSettings: true }));
    assert.equal(first.settings?.length, 10);
    assert.equal(typeof first.nextToken, "string");
    const second = await ecs.send(new ListAccountSettingsCommand({ effectiveSettings: true, nextToken: first.nextToken }));
    assert.equal(second.settings?.length, 1);
    assert.equal(second.nextToken, undefined);
    assert.deepEqual(byName([...first.settings, ...second.settings]), awsManaged);

    const pages: number[] = [];
    for await (const page of paginateListAccountSettings({ client: ecs, pageSize: 4 }, { effectiveSettings: true })) {
      pages.push(page.settings?.length ?? 0);
    }
    assert.deepEqual(pages, [4, 4, 3]);
    // A last page that is exactly full ends the listing: no token to an empty page.
    let singles = 0;
    for await (const page of paginateListAccountSettings({ client: ecs, pageSize: 1 }, { effectiveSettings: true })) {
      assert.equal(page.settings?.length, 1);
      singles++;
    }
    assert.equal(singles, 11);
    await rejectsWith(ecs.send(new ListAccountSettingsCommand({ maxResults: 11 })), InvalidParameterException);
    await rejectsWith(ecs.send(new ListAccountSettingsCommand({ maxResults: 0 })), InvalidParameterException);
    await rejectsWith(ecs.send(new ListAccountSettingsCommand({ nextToken: "garbage" })), InvalidParameterException);
  });

  it("PutAccountSetting sets one principal's value, which only that principal sees", async () => {
    const out = await put("serviceLongArnFormat", "disabled", alice);
    assert.deepEqual(out.setting, { name: "serviceLongArnFormat", value: "disabled", principalArn: alice, type: "user" });

    assert.deepEqual(await listAll({ principalArn: alice }), [
      { name: "serviceLongArnFormat", value: "disabled", principalArn: alice, type: "user" },
    ]);
    assert.deepEqual(
      await listAll({ principalArn: alice, effectiveSettings: true, name: "serviceLongArnFormat" }),
      [{ name: "serviceLongArnFormat", value: "disabled", principalArn: alice, type: "user" }],
    );
    // Nobody else is affected.
    assert.deepEqual(await listAll({ principalArn: deployer }), []);
    assert.deepEqual(await listAll({ principalArn: deployer, effectiveSettings: true, name: "serviceLongArnFormat" }), [
      { name: "serviceLongArnFormat", value: "enabled", principalArn: root, type: "aws_managed" },
    ]);

    // Setting it again replaces the value.
    await put("serviceLongArnFormat", "enabled", alice);
    assert.deepEqual(await listAll({ principalArn: alice }), [
      { name: "serviceLongArnFormat", value: "enabled", principalArn: alice, type: "user" },
    ]);
    await ecs.send(new DeleteAccountSettingCommand({ name: "serviceLongArnFormat", principalArn: alice }));
  });

  it("ListAccountSettings filters by name and by value", async () => {
    await put("awsvpcTrunking", "enabled", deployer);
    await put("containerInsights", "enhanced", deployer);
    await put("guardDutyActivate", "on", deployer);

    assert.deepEqual(await listAll({ principalArn: deployer, name: "containerInsights" }), [
      { name: "containerInsights", value: "enhanced", principalArn: deployer, type: "user" },
    ]);
    assert.deepEqual(await listAll({ principalArn: deployer, name: "awsvpcTrunking", value: "enabled" }), [
      { name: "awsvpcTrunking", value: "enabled", principalArn: deployer, type: "user" },
    ]);
    assert.deepEqual(await listAll({ principalArn: deployer, name: "awsvpcTrunking", value: "disabled" }), []);
    assert.deepEqual(await listAll({ principalArn: deployer, name: "taskLongArnFormat" }), []);
    await rejectsWith(ecs.send(new ListAccountSettingsCommand({ principalArn: deployer, value: "enabled" })), InvalidParameterException);

    for (const name of ["awsvpcTrunking", "containerInsights", "guardDutyActivate"] as const) {
      await ecs.send(new DeleteAccountSettingCommand({ name, principalArn: deployer }));
    }
    assert.deepEqual(await listAll({ principalArn: deployer }), []);
  });

  it("PutAccountSetting refuses values and principals ECS does not accept", async () => {
    await rejectsWith(put("containerInsights", "sometimes"), InvalidParameterException);
    await rejectsWith(put("serviceLongArnFormat", "on", alice), InvalidParameterException);
    await rejectsWith(put("guardDutyActivate", "enabled", alice), InvalidParameterException);
    await rejectsWith(put("fargateTaskRetirementWaitPeriod", "3"), InvalidParameterException);
    await rejectsWith(put("taskLongArnFormat", "enabled", "alice"), InvalidParameterException);
    await rejectsWith(put("taskLongArnFormat", "enabled", "arn:aws:iam::000000000000:group/devs"), InvalidParameterException);
    await rejectsWith(
      ecs.send(new PutAccountSettingCommand({ name: "noSuchSetting" as SettingName, value: "enabled" })),
      InvalidParameterException,
    );
    await rejectsWith(ecs.send(new PutAccountSettingDefaultCommand({ name: "awsvpcTrunking", value: "yes" })), InvalidParameterException);
    assert.deepEqual(await listAll({ principalArn: alice }), []);
    assert.deepEqual(await listAll(), []);
  });

  it("PutAccountSettingDefault sets the value for every principal without its own", async () => {
    const out = await ecs.send(new PutAccountSettingDefaultCommand({ name: "awsvpcTrunking", value: "enabled" }));
    assert.deepEqual(out.setting, { name: "awsvpcTrunking", value: "enabled", principalArn: root, type: "user" });

    const expectDefault = [{ name: "awsvpcTrunking", value: "enabled", principalArn: root, type: "user" }];
    assert.deepEqual(await listAll({ principalArn: alice, effectiveSettings: true, name: "awsvpcTrunking" }), expectDefault);
    assert.deepEqual(await listAll({ principalArn: deployer, effectiveSettings: true, name: "awsvpcTrunking" }), expectDefault);
    assert.deepEqual(await listAll({ effectiveSettings: true, name: "awsvpcTrunking" }), expectDefault);
    // The default is not alice's own setting.
    assert.deepEqual(await listAll({ principalArn: alice }), []);

    // A principal's own value wins over the default, and deleting it falls back to the default.
    await put("awsvpcTrunking", "disabled", alice);
    assert.deepEqual(await listAll({ principalArn: alice, effectiveSettings: true, name: "awsvpcTrunking" }), [
      { name: "awsvpcTrunking", value: "disabled", principalArn: alice, type: "user" },
    ]);
    await ecs.send(new DeleteAccountSettingCommand({ name: "awsvpcTrunking", principalArn: alice }));
    assert.deepEqual(await listAll({ principalArn: alice, effectiveSettings: true, name: "awsvpcTrunking" }), expectDefault);

    await ecs.send(new PutAccountSettingDefaultCommand({ name: "awsvpcTrunking", value: "disabled" }));
    assert.deepEqual(await listAll({ principalArn: alice, effectiveSettings: true, name: "awsvpcTrunking" }), [
      { name: "awsvpcTrunking", value: "disabled", principalArn: root, type: "user" },
    ]);
  });

  it("DeleteAccountSetting returns the setting it removed", async () => {
    await put("containerInstanceLongArnFormat", "disabled", deployer);
    const out = await ecs.send(new DeleteAccountSettingCommand({ name: "containerInstanceLongArnFormat", principalArn: deployer }));
    assert.deepEqual(out.setting, { name: "containerInstanceLongArnFormat", value: "disabled", principalArn: deployer, type: "user" });
    assert.deepEqual(await listAll({ principalArn: deployer }), []);
    assert.deepEqual(await listAll({ principalArn: deployer, effectiveSettings: true, name: "containerInstanceLongArnFormat" }), [
      { name: "containerInstanceLongArnFormat", value: "enabled", principalArn: root, type: "aws_managed" },
    ]);
    await rejectsWith(
      ecs.send(new DeleteAccountSettingCommand({ name: "containerInstanceLongArnFormat", principalArn: "not-an-arn" })),
      InvalidParameterException,
    );
  });

  it("without principalArn the caller's own settings change (here the root user)", async () => {
    const out = await put("fargateFIPSMode", "enabled");
    assert.deepEqual(out.setting, { name: "fargateFIPSMode", value: "enabled", principalArn: root, type: "user" });
    // The root user's own settings are the account defaults, so earlier tests' defaults show here too.
    assert.deepEqual(await listAll({ name: "fargateFIPSMode" }), [{ name: "fargateFIPSMode", value: "enabled", principalArn: root, type: "user" }]);
    assert.deepEqual(await listAll({ principalArn: root }), await listAll());
    const deleted = await ecs.send(new DeleteAccountSettingCommand({ name: "fargateFIPSMode" }));
    assert.deepEqual(deleted.setting, { name: "fargateFIPSMode", value: "enabled", principalArn: root, type: "user" });
    assert.deepEqual(await listAll({ name: "fargateFIPSMode" }), []);
  });

  it("a root user's setting applies to every user and role that does not override it", async () => {
    // PutAccountSetting: "If you specify the root user, it modifies the account setting for all users,
    // roles, and the root user of the account unless a user or role explicitly overrides these settings."
    await put("taskLongArnFormat", "disabled", root);
    await put("taskLongArnFormat", "enabled", deployer);
    try {
      assert.deepEqual(await listAll({ principalArn: alice, effectiveSettings: true, name: "taskLongArnFormat" }), [
        { name: "taskLongArnFormat", value: "disabled", principalArn: root, type: "user" },
      ]);
      assert.deepEqual(await listAll({ principalArn: deployer, effectiveSettings: true, name: "taskLongArnFormat" }), [
        { name: "taskLongArnFormat", value: "enabled", principalArn: deployer, type: "user" },
      ]);
    } finally {
      await ecs.send(new DeleteAccountSettingCommand({ name: "taskLongArnFormat", principalArn: root })).catch(() => undefined);
      await ecs.send(new DeleteAccountSettingCommand({ name: "taskLongArnFormat", principalArn: deployer })).catch(() => undefined);
    }
  });
});
