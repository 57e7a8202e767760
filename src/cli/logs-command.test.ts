import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { awslogsStreamName, connectionFrom, formatLine, interleave, parseSince, sourcesOf, taskIdOf } from "./logs-command.js";

const arn = "arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef";

describe("berth logs: pure parts", () => {
  test("stream names are prefix/container/task-id", () => {
    assert.equal(awslogsStreamName("web", "app", "abc"), "web/app/abc");
    assert.equal(taskIdOf(arn), "0123456789abcdef");
    assert.equal(taskIdOf("0123"), "0123");
  });

  test("sources from a task definition; containers without awslogs get a note", () => {
    const { sources, notes } = sourcesOf({ taskArn: arn }, [
      { name: "app", logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/ecs/app", "awslogs-stream-prefix": "p" } } },
      { name: "side", logConfiguration: { logDriver: "json-file" } },
      { name: "bare" },
      { name: "fixed", logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/g", "awslogs-stream": "one" } } },
    ]);
    assert.deepEqual(sources, [
      { label: "app/0123456789abcdef", group: "/ecs/app", stream: "p/app/0123456789abcdef" },
      { label: "fixed/0123456789abcdef", group: "/g", stream: "one" },
    ]);
    const [side, bare] = notes;
    assert.equal(notes.length, 2);
    assert.ok(side !== undefined && bare !== undefined);
    assert.match(side, /side .*json-file.*"logDriver": "awslogs"/);
    assert.match(bare, /bare .*no awslogs/);
  });

  test("--since takes durations, epoch numbers and dates", () => {
    const now = Date.parse("2026-01-01T12:00:00Z");
    assert.equal(parseSince("10m", now), now - 600_000);
    assert.equal(parseSince("1h30m", now), now - 5_400_000);
    assert.equal(parseSince("45s", now), now - 45_000);
    assert.equal(parseSince("2d", now), now - 2 * 86_400_000);
    assert.equal(parseSince("1700000000", now), 1_700_000_000_000);
    assert.equal(parseSince("1700000000123", now), 1_700_000_000_123);
    assert.equal(parseSince("2026-01-01T11:00:00Z", now), now - 3_600_000);
    assert.throws(() => parseSince("yesterday-ish", now), /--since/);
  });

  test("interleaving merges by timestamp and keeps each stream's order on ties", () => {
    const merged = interleave([
      { key: "a", events: [{ timestamp: 1, message: "a1" }, { timestamp: 3, message: "a3" }, { timestamp: 3, message: "a3b" }] },
      { key: "b", events: [{ timestamp: 2, message: "b2" }, { timestamp: 3, message: "b3" }, { timestamp: 9, message: "b9" }] },
      { key: "c", events: [] },
    ]);
    assert.deepEqual(
      merged.map((m) => `${m.key}:${m.event.message}`),
      ["a:a1", "b:b2", "a:a3", "a:a3b", "b:b3", "b:b9"],
    );
  });

  test("lines are prefixed only when several streams interleave", () => {
    assert.equal(formatLine(undefined, "hello\n"), "hello");
    assert.equal(formatLine("app/abc", "hello"), "app/abc | hello");
  });

  test("AWS_* variables win over the instance file", () => {
    const c = connectionFrom({ AWS_ENDPOINT_URL: "http://x:1", AWS_ACCESS_KEY_ID: "AK", AWS_SECRET_ACCESS_KEY: "SK", AWS_REGION: "eu-west-1" }, "/nonexistent");
    assert.deepEqual(c, { endpoint: "http://x:1", region: "eu-west-1", credentials: { accessKeyId: "AK", secretAccessKey: "SK" } });
    assert.throws(() => connectionFrom({}, "/nonexistent-berth-dir"), /berth up/);
  });
});
