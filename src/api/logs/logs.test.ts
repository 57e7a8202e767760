// CloudWatch Logs end to end on SQLite and PostgreSQL: a real server driven by the
// aws CLI and boto3, checked against AWS's documented shapes, paging and errors.
// (@aws-sdk/client-cloudwatch-logs is declared in package.json but is not in
// node_modules on this machine, so the JavaScript SDK is not exercised here.)

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RetentionSweeper } from "../../logs/retention.js";
import { aws, awsJson, boto3, type CliResult } from "../../../test/kit/aws-cli.js";
import { first } from "../../../test/kit/ecs-assertions.js";
import { startTestServer, testAccount, testRegion, type TestServer } from "../../../test/kit/harness.js";
import { requirePostgresUrl } from "../../../test/kit/postgres.js";

const stores: ("sqlite" | "postgres")[] = ["sqlite"];
if (requirePostgresUrl()) stores.push("postgres");
else console.log("logs.test: BERTH_TEST_POSTGRES_URL is not set; PostgreSQL cases not registered.");

const hour = 3_600_000;
const day = 24 * hour;
const groupArn = (name: string): string => `arn:aws:logs:${testRegion}:${testAccount}:log-group:${name}`;

function expectCliError(r: CliResult, code: string, message?: string | RegExp): void {
  assert.notEqual(r.code, 0, `expected ${code}, got success: ${r.stdout}`);
  assert.match(r.stderr, new RegExp(`\\(${code}\\)`), r.stderr);
  if (typeof message === "string") assert.ok(r.stderr.includes(message), `${r.stderr} should include ${message}`);
  else if (message) assert.match(r.stderr, message);
}

/** boto3 with a ready `logs` client; `fails(fn)` returns the error code and message of a ClientError. */
function py<T>(server: TestServer, snippet: string): Promise<T> {
  return boto3<T>(
    server,
    `from botocore.config import Config
from botocore.exceptions import ClientError
logs = boto3.client("logs")
# botocore checks minimums client-side; this one lets such requests reach the server.
raw = boto3.client("logs", config=Config(parameter_validation=False))
def fails(fn):
    try:
        fn()
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"]}
    return None
${snippet}`,
  );
}

interface SeedGroup {
  readonly group: string;
  readonly tags?: Record<string, string>;
  /** Stream name → batches of events, put in order. */
  readonly streams?: Record<string, { timestamp: number; message: string }[][]>;
}

/** Creates groups, streams and events in one boto3 process (each aws CLI run costs about a second). */
async function seed(server: TestServer, groups: readonly SeedGroup[]): Promise<void> {
  const spec = Buffer.from(JSON.stringify(groups)).toString("base64");
  await py(
    server,
    `import base64
for g in json.loads(base64.b64decode("${spec}")):
    logs.create_log_group(logGroupName=g["group"], **({"tags": g["tags"]} if g.get("tags") else {}))
    for stream, batches in (g.get("streams") or {}).items():
        logs.create_log_stream(logGroupName=g["group"], logStreamName=stream)
        for batch in batches:
            logs.put_log_events(logGroupName=g["group"], logStreamName=stream, logEvents=batch)
dump(None)`,
  );
}

interface Group {
  logGroupName: string;
  arn: string;
  logGroupArn: string;
  creationTime: number;
  retentionInDays?: number;
  storedBytes: number;
  metricFilterCount: number;
  logGroupClass: string;
}
interface Stream {
  logStreamName: string;
  arn: string;
  creationTime: number;
  firstEventTimestamp?: number;
  lastEventTimestamp?: number;
  lastIngestionTime?: number;
  uploadSequenceToken?: string;
  storedBytes: number;
}
interface Event {
  timestamp: number;
  message: string;
  ingestionTime: number;
  logStreamName?: string;
  eventId?: string;
}

const numberOf = (message: string): number => Number(/event (\d+)/.exec(message)?.[1] ?? Number.NaN);
const range = (from: number, to: number, step = 1): number[] => Array.from({ length: Math.ceil((to - from) / step) }, (_, i) => from + i * step);

for (const store of stores) {
  describe(`CloudWatch Logs on ${store}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ store });
    });
    after(() => server.stop());

    const putEvents = (group: string, stream: string, events: { timestamp: number; message: string }[]): Promise<Record<string, unknown>> =>
      awsJson(server, "logs", "put-log-events", "--log-group-name", group, "--log-stream-name", stream, "--log-events", JSON.stringify(events));
    const streamMessages = async (group: string, stream: string): Promise<string[]> => {
      const r = await awsJson<{ events: Event[] }>(server, "logs", "get-log-events", "--log-group-name", group, "--log-stream-name", stream, "--start-from-head");
      return r.events.map((e) => e.message);
    };

    it("creates, describes (prefix, pattern, pages) and deletes log groups with AWS's fields and errors", async () => {
      const before = Date.now();
      await seed(server, ["/t1/app-b", "/t1/app-a", "/t1/Apps"].map((group) => ({ group })));
      await awsJson(server, "logs", "create-log-group", "--log-group-name", "/t1/other");
      const prefixed = await awsJson<{ logGroups: Group[] }>(server, "logs", "describe-log-groups", "--log-group-name-prefix", "/t1/app");
      assert.deepEqual(prefixed.logGroups.map((g) => g.logGroupName), ["/t1/app-a", "/t1/app-b"]);
      const g = first(prefixed.logGroups, "/t1/app-a");
      assert.equal(g.arn, `${groupArn("/t1/app-a")}:*`);
      assert.equal(g.logGroupArn, groupArn("/t1/app-a"));
      assert.ok(g.creationTime >= before - 1000 && g.creationTime <= Date.now() + 1000, `creationTime ${g.creationTime} is epoch ms`);
      assert.equal(g.storedBytes, 0);
      assert.equal(g.metricFilterCount, 0);
      assert.equal(g.logGroupClass, "STANDARD");
      assert.equal(g.retentionInDays, undefined);

      const pattern = await awsJson<{ logGroups: Group[] }>(server, "logs", "describe-log-groups", "--log-group-name-pattern", "app");
      assert.deepEqual(pattern.logGroups.map((x) => x.logGroupName), ["/t1/app-a", "/t1/app-b"], "pattern search is case-sensitive");
      expectCliError(await aws(server, "logs", "describe-log-groups", "--log-group-name-prefix", "/t1", "--log-group-name-pattern", "app"), "InvalidParameterException");

      // Pages of one, through the CLI's auto-pagination and boto3's paginator.
      const all = await awsJson<{ logGroups: Group[] }>(server, "logs", "describe-log-groups", "--log-group-name-prefix", "/t1/", "--page-size", "1");
      assert.deepEqual(all.logGroups.map((x) => x.logGroupName), ["/t1/Apps", "/t1/app-a", "/t1/app-b", "/t1/other"]);
      const pages = await py<{ pages: number; names: string[] }>(
        server,
        `pages = list(logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="/t1/", PaginationConfig={"PageSize": 3}))
dump({"pages": len(pages), "names": [g["logGroupName"] for p in pages for g in p["logGroups"]]})`,
      );
      assert.deepEqual(pages, { pages: 2, names: ["/t1/Apps", "/t1/app-a", "/t1/app-b", "/t1/other"] });

      expectCliError(await aws(server, "logs", "create-log-group", "--log-group-name", "/t1/app-a"), "ResourceAlreadyExistsException", "The specified log group already exists");
      expectCliError(await aws(server, "logs", "create-log-group", "--log-group-name", "bad name!"), "InvalidParameterException");
      expectCliError(await aws(server, "logs", "delete-log-group", "--log-group-name", "/t1/none"), "ResourceNotFoundException", "The specified log group does not exist.");
      assert.deepEqual(await py(server, `dump(fails(lambda: logs.describe_log_groups(nextToken="garbage")))`), {
        code: "InvalidParameterException",
        message: "The specified nextToken is invalid.",
      });
      await awsJson(server, "logs", "delete-log-group", "--log-group-name", "/t1/other");
      const left = await awsJson<{ logGroups: Group[] }>(server, "logs", "describe-log-groups", "--log-group-name-prefix", "/t1/");
      assert.deepEqual(left.logGroups.map((x) => x.logGroupName), ["/t1/Apps", "/t1/app-a", "/t1/app-b"]);
      const byIdentifier = await py<string[]>(
        server,
        `dump([g["logGroupName"] for g in logs.describe_log_groups(logGroupIdentifiers=["${groupArn("/t1/app-b")}", "/t1/Apps"])["logGroups"]])`,
      );
      assert.deepEqual(byIdentifier, ["/t1/Apps", "/t1/app-b"]);
    });

    it("accepts only CloudWatch's retention periods and shows the policy", async () => {
      await seed(server, [{ group: "/t2/ret" }]);
      await awsJson(server, "logs", "put-retention-policy", "--log-group-name", "/t2/ret", "--retention-in-days", "7");
      let g = first((await awsJson<{ logGroups: Group[] }>(server, "logs", "describe-log-groups", "--log-group-name-prefix", "/t2/ret")).logGroups, "/t2/ret");
      assert.equal(g.retentionInDays, 7);
      expectCliError(await aws(server, "logs", "put-retention-policy", "--log-group-name", "/t2/ret", "--retention-in-days", "2"), "InvalidParameterException", /enum value set: \[1, 3, 5, 7, 14, 30/);
      const others = await py<({ code: string } | null)[]>(
        server,
        `dump([fails(lambda: logs.put_retention_policy(logGroupName="/t2/ret", retentionInDays=d)) for d in (0, -1, 4000, 366)]
  + [fails(lambda: logs.put_retention_policy(logGroupName="/t2/none", retentionInDays=1))])`,
      );
      assert.deepEqual(others.map((e) => e?.code), [...Array<string>(4).fill("InvalidParameterException"), "ResourceNotFoundException"]);
      await awsJson(server, "logs", "delete-retention-policy", "--log-group-name", "/t2/ret");
      g = first((await awsJson<{ logGroups: Group[] }>(server, "logs", "describe-log-groups", "--log-group-name-prefix", "/t2/ret")).logGroups, "/t2/ret");
      assert.equal(g.retentionInDays, undefined);
      expectCliError(await aws(server, "logs", "delete-retention-policy", "--log-group-name", "/t2/none"), "ResourceNotFoundException");
    });

    it("tags log groups by name and by ARN", async () => {
      await seed(server, [{ group: "/t3/tagged", tags: { team: "web", env: "dev" } }]);
      await awsJson(server, "logs", "tag-log-group", "--log-group-name", "/t3/tagged", "--tags", "env=prod,tier=1");
      assert.deepEqual(await awsJson(server, "logs", "list-tags-log-group", "--log-group-name", "/t3/tagged"), { tags: { env: "prod", team: "web", tier: "1" } });
      await awsJson(server, "logs", "tag-resource", "--resource-arn", groupArn("/t3/tagged"), "--tags", "owner=me");
      await awsJson(server, "logs", "untag-resource", "--resource-arn", groupArn("/t3/tagged"), "--tag-keys", "tier");
      await py(server, `logs.untag_log_group(logGroupName="/t3/tagged", tags=["team"]); dump(None)`);
      assert.deepEqual(await awsJson(server, "logs", "list-tags-for-resource", "--resource-arn", groupArn("/t3/tagged")), { tags: { env: "prod", owner: "me" } });
      const errs = await py<Record<string, { code: string; message: string } | null>>(
        server,
        `arn = "${groupArn("/t3/tagged")}"
dump({
  "tooMany": fails(lambda: logs.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(49)})),
  "missing": fails(lambda: logs.list_tags_for_resource(resourceArn="${groupArn("/t3/none")}")),
  "otherAccount": fails(lambda: logs.list_tags_for_resource(resourceArn="arn:aws:logs:${testRegion}:111111111111:log-group:/t3/tagged")),
  "reserved": fails(lambda: logs.tag_log_group(logGroupName="/t3/tagged", tags={"aws:x": "y"})),
  "byName": fails(lambda: logs.list_tags_log_group(logGroupName="/t3/none")),
})`,
      );
      assert.equal(errs["tooMany"]?.code, "TooManyTagsException");
      assert.equal(errs["missing"]?.code, "ResourceNotFoundException");
      assert.equal(errs["otherAccount"]?.code, "ResourceNotFoundException");
      assert.equal(errs["reserved"]?.code, "InvalidParameterException");
      assert.deepEqual(errs["byName"], { code: "ResourceNotFoundException", message: "The specified log group does not exist." });
      const tags = await awsJson<{ tags: Record<string, string> }>(server, "logs", "list-tags-log-group", "--log-group-name", "/t3/tagged");
      assert.equal(Object.keys(tags.tags).length, 2, "a refused TagResource writes nothing");
    });

    it("creates, describes (order, direction, prefix, pages) and deletes log streams", async () => {
      const g = "/t4/streams";
      const now = Date.now();
      await seed(server, [
        {
          group: g,
          streams: {
            "web/2": [[{ timestamp: now - 1000, message: "d" }]],
            "web/1": [[{ timestamp: now - 3000, message: "a" }, { timestamp: now - 2500, message: "b" }]],
            "worker/1": [[{ timestamp: now - 2000, message: "c" }]],
            empty: [],
          },
        },
      ]);
      const list = async (...args: string[]): Promise<Stream[]> =>
        (await awsJson<{ logStreams: Stream[] }>(server, "logs", "describe-log-streams", "--log-group-name", g, ...args)).logStreams;
      assert.deepEqual((await list()).map((s) => s.logStreamName), ["empty", "web/1", "web/2", "worker/1"]);
      assert.deepEqual((await list("--descending")).map((s) => s.logStreamName), ["worker/1", "web/2", "web/1", "empty"]);
      assert.deepEqual((await list("--log-stream-name-prefix", "web/")).map((s) => s.logStreamName), ["web/1", "web/2"]);
      assert.deepEqual((await list("--order-by", "LastEventTime", "--descending")).map((s) => s.logStreamName), ["web/2", "worker/1", "web/1", "empty"]);
      assert.deepEqual((await list("--order-by", "LastEventTime", "--page-size", "1")).map((s) => s.logStreamName), ["empty", "web/1", "worker/1", "web/2"]);
      expectCliError(
        await aws(server, "logs", "describe-log-streams", "--log-group-name", g, "--order-by", "LastEventTime", "--log-stream-name-prefix", "web"),
        "InvalidParameterException",
        "Cannot order by LastEventTime with a logStreamNamePrefix.",
      );
      const web1 = first(await list("--log-stream-name-prefix", "web/1"), "stream web/1");
      assert.equal(web1.arn, `${groupArn(g)}:log-stream:web/1`);
      assert.equal(web1.firstEventTimestamp, now - 3000);
      assert.equal(web1.lastEventTimestamp, now - 2500);
      assert.ok(web1.lastIngestionTime !== undefined && web1.lastIngestionTime >= now - 5000);
      assert.match(web1.uploadSequenceToken ?? "", /^\d{56}$/);
      assert.equal(web1.storedBytes, 0);
      const empty = first(await list("--log-stream-name-prefix", "empty"), "stream empty");
      assert.equal(empty.firstEventTimestamp, undefined);
      assert.equal(empty.uploadSequenceToken, undefined);

      const paged = await py<{ pages: number; names: string[]; byArn: string[] }>(
        server,
        `pages = list(logs.get_paginator("describe_log_streams").paginate(logGroupName="${g}", descending=True, PaginationConfig={"PageSize": 1}))
by_arn = logs.describe_log_streams(logGroupIdentifier="${groupArn(g)}", logStreamNamePrefix="wor")["logStreams"]
dump({"pages": len(pages), "names": [s["logStreamName"] for p in pages for s in p["logStreams"]], "byArn": [s["logStreamName"] for s in by_arn]})`,
      );
      assert.deepEqual(paged, { pages: 4, names: ["worker/1", "web/2", "web/1", "empty"], byArn: ["worker/1"] });

      expectCliError(await aws(server, "logs", "create-log-stream", "--log-group-name", g, "--log-stream-name", "web/1"), "ResourceAlreadyExistsException", "The specified log stream already exists");
      const errs = await py<({ code: string; message: string } | null)[]>(
        server,
        `dump([fails(lambda: logs.create_log_stream(logGroupName="/t4/none", logStreamName="x")),
  fails(lambda: logs.describe_log_streams(logGroupName="/t4/none")),
  fails(lambda: logs.describe_log_streams(logGroupName="${g}", nextToken="bad"))])`,
      );
      assert.deepEqual(errs, [
        { code: "ResourceNotFoundException", message: "The specified log group does not exist." },
        { code: "ResourceNotFoundException", message: "The specified log group does not exist." },
        { code: "InvalidParameterException", message: "The specified nextToken is invalid." },
      ]);
      await awsJson(server, "logs", "delete-log-stream", "--log-group-name", g, "--log-stream-name", "web/1");
      expectCliError(await aws(server, "logs", "delete-log-stream", "--log-group-name", g, "--log-stream-name", "web/1"), "ResourceNotFoundException", "The specified log stream does not exist.");
      assert.deepEqual((await list()).map((s) => s.logStreamName), ["empty", "web/2", "worker/1"]);
      const group = first((await awsJson<{ logGroups: Group[] }>(server, "logs", "describe-log-groups", "--log-group-name-prefix", g)).logGroups, `group ${g}`);
      assert.equal(group.storedBytes, 2, "deleting web/1 took its bytes off the group");
    });

    it("stores 10,000 numbered events and reads each back exactly once, in order, through every paging path", async () => {
      const g = "/t5/numbered";
      const base = Date.now() - hour;
      const result = await py<{
        tokens: string[];
        forward: number[];
        forwardCalls: number;
        backward: number[];
        backwardCalls: number;
        filtered: number[];
        filterPages: number;
        bulk: number;
        bulkFirst: string;
        bulkLast: string;
        eventIdsUnique: boolean;
      }>(
        server,
        `g = "${g}"
base = ${base}
logs.create_log_group(logGroupName=g)
logs.create_log_stream(logGroupName=g, logStreamName="numbered")
logs.create_log_stream(logGroupName=g, logStreamName="bulk")
msg = lambda i: "event %05d%s" % (i, " ERROR" if i % 10 == 0 else "")
tokens = []
for b in range(5):
    r = logs.put_log_events(logGroupName=g, logStreamName="numbered", sequenceToken="ignored-token",
        logEvents=[{"timestamp": base + i, "message": msg(i)} for i in range(b * 2000, (b + 1) * 2000)])
    tokens.append(r["nextSequenceToken"])
logs.put_log_events(logGroupName=g, logStreamName="bulk", logEvents=[{"timestamp": base + i, "message": msg(i)} for i in range(10000)])

def num(e):
    return int(e["message"].split()[1])

forward, calls, token = [], 0, None
while True:
    kw = {"nextToken": token} if token else {}
    r = logs.get_log_events(logGroupName=g, logStreamName="numbered", startFromHead=True, limit=1000, **kw)
    calls += 1
    forward += [num(e) for e in r["events"]]
    if r["nextForwardToken"] == token:
        break
    token = r["nextForwardToken"]

backward, bcalls, token = [], 0, None
while True:
    kw = {"nextToken": token} if token else {}
    r = logs.get_log_events(logGroupName=g, logStreamName="numbered", limit=1000, **kw)
    bcalls += 1
    backward = [num(e) for e in r["events"]] + backward
    if r["nextBackwardToken"] == token:
        break
    token = r["nextBackwardToken"]

pages = list(logs.get_paginator("filter_log_events").paginate(logGroupName=g, logStreamNames=["numbered"], PaginationConfig={"PageSize": 1000}))
events = [e for p in pages for e in p["events"]]
bulk = logs.get_log_events(logGroupName=g, logStreamName="bulk", startFromHead=True)["events"]
dump({"tokens": tokens, "forward": forward, "forwardCalls": calls, "backward": backward, "backwardCalls": bcalls,
      "filtered": [num(e) for e in events], "filterPages": len(pages), "bulk": len(bulk), "bulkFirst": bulk[0]["message"], "bulkLast": bulk[-1]["message"],
      "eventIdsUnique": len(set(e["eventId"] for e in events)) == len(events)})`,
      );
      const all = range(0, 10_000);
      assert.equal(new Set(result.tokens).size, 5, "each batch returns a new sequence token");
      assert.deepEqual(result.forward, all);
      assert.equal(result.forwardCalls, 11, "10 full pages, then the same token back");
      assert.deepEqual(result.backward, all);
      assert.equal(result.backwardCalls, 11);
      assert.deepEqual(result.filtered, all);
      // A page that fills its limit exactly still carries a nextToken (the next page is then empty), as on AWS.
      assert.ok(result.filterPages === 10 || result.filterPages === 11, `filter pages: ${result.filterPages}`);
      assert.ok(result.eventIdsUnique);
      assert.deepEqual([result.bulk, result.bulkFirst, result.bulkLast], [10_000, "event 00000 ERROR", "event 09999"]);

      // The CLI: filter-log-events pages on its own; get-log-events is one page at a time.
      const errors = await awsJson<{ events: Event[] }>(server, "logs", "filter-log-events", "--log-group-name", g, "--log-stream-names", "numbered", "--filter-pattern", "ERROR");
      assert.deepEqual(errors.events.map((e) => numberOf(e.message)), range(0, 10_000, 10));
      assert.ok(errors.events.every((e) => e.logStreamName === "numbered" && /^\d{56}$/.test(e.eventId ?? "")));
      const both = await awsJson<{ events: Event[] }>(server, "logs", "filter-log-events", "--log-group-name", g, "--filter-pattern", '"event 0000"');
      assert.deepEqual(both.events.map((e) => `${e.logStreamName}:${numberOf(e.message)}`), range(0, 10).flatMap((i) => [`numbered:${i}`, `bulk:${i}`]), "streams interleave by time");
      const timed = await awsJson<{ events: Event[] }>(server, "logs", "filter-log-events", "--log-group-name", g, "--log-stream-names", "numbered", "--start-time", String(base + 100), "--end-time", String(base + 104));
      assert.deepEqual(timed.events.map((e) => numberOf(e.message)), [100, 101, 102, 103, 104], "FilterLogEvents' endTime is inclusive");
      const firstPage = await awsJson<{ events: Event[]; nextForwardToken: string; nextBackwardToken: string }>(
        server, "logs", "get-log-events", "--log-group-name", g, "--log-stream-name", "numbered", "--start-from-head", "--limit", "5");
      assert.deepEqual(firstPage.events.map((e) => numberOf(e.message)), [0, 1, 2, 3, 4]);
      assert.match(firstPage.nextForwardToken, /^f\/\d{56}\/s$/);
      assert.match(firstPage.nextBackwardToken, /^b\/\d{56}\/s$/);
      const second = await awsJson<{ events: Event[] }>(server, "logs", "get-log-events", "--log-group-name", g, "--log-stream-name", "numbered", "--limit", "5", "--next-token", firstPage.nextForwardToken);
      assert.deepEqual(second.events.map((e) => numberOf(e.message)), [5, 6, 7, 8, 9]);
      const tail = await awsJson<{ events: Event[] }>(server, "logs", "get-log-events", "--log-group-name", g, "--log-stream-name", "numbered", "--limit", "3");
      assert.deepEqual(tail.events.map((e) => numberOf(e.message)), [9997, 9998, 9999], "without startFromHead the newest events come first page");
      const window = await awsJson<{ events: Event[] }>(
        server, "logs", "get-log-events", "--log-group-name", g, "--log-stream-name", "numbered", "--start-from-head", "--start-time", String(base + 10), "--end-time", String(base + 13));
      assert.deepEqual(window.events.map((e) => numberOf(e.message)), [10, 11, 12], "GetLogEvents' endTime is exclusive");
      const group = first((await awsJson<{ logGroups: Group[] }>(server, "logs", "describe-log-groups", "--log-group-name-prefix", g)).logGroups, `group ${g}`);
      const bytes = 2 * range(0, 10_000).reduce((n, i) => n + `event ${String(i).padStart(5, "0")}${i % 10 === 0 ? " ERROR" : ""}`.length, 0);
      assert.equal(group.storedBytes, bytes);
    });

    it("applies PutLogEvents' batch rules and stores nothing twice", async () => {
      const g = "/t6/rules";
      await seed(server, [{ group: g, streams: { s: [] } }]);
      const now = Date.now();
      const r = await putEvents(g, "s", [
        { timestamp: now - 15 * day, message: "too old" },
        { timestamp: now - 60_000, message: "kept 1" },
        { timestamp: now, message: "kept 2" },
        { timestamp: now + 3 * hour, message: "too new" },
      ]);
      assert.deepEqual(r["rejectedLogEventsInfo"], { tooOldLogEventEndIndex: 1, tooNewLogEventStartIndex: 3 });
      assert.match(String(r["nextSequenceToken"]), /^\d{56}$/);
      const refused = await py<Record<string, { code: string; message: string } | null>>(
        server,
        `g, s, now = "${g}", "s", ${now}
put = lambda events, **kw: logs.put_log_events(logGroupName=kw.get("group", g), logStreamName=kw.get("stream", s), logEvents=events)
dump({
  "unordered": fails(lambda: put([{"timestamp": now, "message": "x"}, {"timestamp": now - 1, "message": "y"}])),
  "span": fails(lambda: put([{"timestamp": now - 25 * 3600000, "message": "x"}, {"timestamp": now, "message": "y"}])),
  "tooLarge": fails(lambda: put([{"timestamp": now, "message": "x" * 600000}, {"timestamp": now, "message": "y" * 600000}])),
  "tooMany": fails(lambda: put([{"timestamp": now, "message": "x"}] * 10001)),
  "empty": fails(lambda: raw.put_log_events(logGroupName=g, logStreamName=s, logEvents=[])),
  "emptyMessage": fails(lambda: raw.put_log_events(logGroupName=g, logStreamName=s, logEvents=[{"timestamp": now, "message": ""}])),
  "noGroup": fails(lambda: put([{"timestamp": now, "message": "x"}], group="/t6/none")),
  "noStream": fails(lambda: put([{"timestamp": now, "message": "x"}], stream="none")),
})`,
      );
      assert.deepEqual(refused["unordered"], { code: "InvalidParameterException", message: "Log events in a single PutLogEvents request must be in chronological order." });
      assert.deepEqual(refused["span"], { code: "InvalidParameterException", message: "The batch of log events in a single PutLogEvents request cannot span more than 24 hours." });
      assert.equal(refused["tooLarge"]?.code, "InvalidParameterException");
      assert.match(refused["tooLarge"]?.message ?? "", /Upload too large: 1200052 bytes exceeds limit of 1048576/);
      assert.equal(refused["tooMany"]?.code, "InvalidParameterException");
      assert.equal(refused["empty"]?.code, "InvalidParameterException");
      assert.equal(refused["emptyMessage"]?.code, "InvalidParameterException");
      assert.deepEqual(refused["noGroup"], { code: "ResourceNotFoundException", message: "The specified log group does not exist." });
      assert.deepEqual(refused["noStream"], { code: "ResourceNotFoundException", message: "The specified log stream does not exist." });
      assert.deepEqual(await streamMessages(g, "s"), ["kept 1", "kept 2"], "only accepted events, once each");

      // Retention makes older events "expired" at ingestion.
      await awsJson(server, "logs", "put-retention-policy", "--log-group-name", g, "--retention-in-days", "1");
      const expired = await putEvents(g, "s", [{ timestamp: now - 2 * day, message: "expired" }, { timestamp: now, message: "kept 3" }]);
      assert.deepEqual(expired["rejectedLogEventsInfo"], { expiredLogEventEndIndex: 1 });
      assert.deepEqual(await streamMessages(g, "s"), ["kept 1", "kept 2", "kept 3"]);
    });

    it("matches filter patterns over the API, and refuses bad patterns, tokens and parameters with AWS's errors", async () => {
      const g = "/t7/filter";
      const now = Date.now();
      await seed(server, [
        {
          group: g,
          streams: {
            "api/1": [
              [
                { timestamp: now - 5, message: JSON.stringify({ level: "error", latency: 250, user: { id: 7 } }) },
                { timestamp: now - 4, message: JSON.stringify({ level: "info", latency: 20 }) },
                { timestamp: now - 3, message: '10.0.0.1 - - [t] "GET /x HTTP/1.1" 404 2048' },
              ],
            ],
            "db/1": [
              [
                { timestamp: now - 2, message: "ERROR deadlock detected" },
                { timestamp: now - 1, message: "WARN slow query" },
              ],
            ],
          },
        },
      ]);
      const json = await awsJson<{ events: Event[] }>(server, "logs", "filter-log-events", "--log-group-name", g, "--filter-pattern", '{ $.level = "error" && $.latency > 100 }');
      assert.deepEqual(json.events.map((e) => e.logStreamName), ["api/1"]);
      const spec = Buffer.from(
        JSON.stringify([
          ["{ $.user.id = 7 || $.latency < 50 }", {}],
          ["[ip, user, username, ts, request, status = 404, bytes > 1000]", {}],
          ["?ERROR ?WARN", {}],
          ["ERROR -deadlock", {}],
          ["%dead.ock%", { logStreamNamePrefix: "db/" }],
          ["WARN", { logStreamNamePrefix: "api/" }],
          ["WARN", { logStreamNames: ["db/1", "none"] }],
        ]),
      ).toString("base64");
      const found = await py<string[][]>(
        server,
        `import base64
dump([[e["message"] for e in logs.filter_log_events(logGroupName="${g}", filterPattern=p, **kw)["events"]] for p, kw in json.loads(base64.b64decode("${spec}"))])`,
      );
      assert.deepEqual(found.map((m) => m.length), [2, 1, 2, 0, 1, 0, 1]);
      assert.deepEqual(found[1], ['10.0.0.1 - - [t] "GET /x HTTP/1.1" 404 2048']);
      assert.deepEqual(found[2], ["ERROR deadlock detected", "WARN slow query"]);

      expectCliError(await aws(server, "logs", "filter-log-events", "--log-group-name", g, "--filter-pattern", "{ $.level = "), "InvalidParameterException", "Invalid filter pattern");
      const badPatterns = await py<({ code: string; message: string } | null)[]>(
        server,
        `dump([fails(lambda: logs.filter_log_events(logGroupName="${g}", filterPattern=p)) for p in ["[a, b", '"open', "{ $.a > x }", "%a!b%"]])`,
      );
      assert.deepEqual(badPatterns, Array(4).fill({ code: "InvalidParameterException", message: "Invalid filter pattern" }));
      const errs = await py<Record<string, { code: string; message: string } | null>>(
        server,
        `g = "${g}"
dump({
  "getToken": fails(lambda: logs.get_log_events(logGroupName=g, logStreamName="api/1", nextToken="garbage")),
  "getToken2": fails(lambda: logs.get_log_events(logGroupName=g, logStreamName="api/1", nextToken="f/123/s")),
  "filterToken": fails(lambda: logs.filter_log_events(logGroupName=g, nextToken="garbage")),
  "otherGroupToken": fails(lambda: logs.filter_log_events(logGroupName=g, nextToken=logs.filter_log_events(logGroupName="/t5/numbered", limit=1)["nextToken"])),
  "bothStreamArgs": fails(lambda: logs.filter_log_events(logGroupName=g, logStreamNames=["a"], logStreamNamePrefix="a")),
  "noGroupArg": fails(lambda: logs.filter_log_events(filterPattern="x")),
  "bothGroupArgs": fails(lambda: logs.get_log_events(logGroupName=g, logGroupIdentifier=g, logStreamName="api/1")),
  "noStream": fails(lambda: logs.get_log_events(logGroupName=g, logStreamName="none")),
  "noGroup": fails(lambda: logs.filter_log_events(logGroupName="/t7/none")),
  "limit": fails(lambda: logs.get_log_events(logGroupName=g, logStreamName="api/1", limit=10001)),
})`,
      );
      for (const k of ["getToken", "getToken2", "filterToken", "otherGroupToken"]) assert.deepEqual(errs[k], { code: "InvalidParameterException", message: "The specified nextToken is invalid." }, k);
      for (const k of ["bothStreamArgs", "noGroupArg", "bothGroupArgs", "limit"]) assert.equal(errs[k]?.code, "InvalidParameterException", k);
      assert.deepEqual(errs["noStream"], { code: "ResourceNotFoundException", message: "The specified log stream does not exist." });
      assert.deepEqual(errs["noGroup"], { code: "ResourceNotFoundException", message: "The specified log group does not exist." });

      // The same token comes back when there is nothing new; new events then follow it.
      const page = await py<{ same: boolean; events: number; after: string[] }>(
        server,
        `g = "${g}"
r = logs.get_log_events(logGroupName=g, logStreamName="db/1", startFromHead=True)
again = logs.get_log_events(logGroupName=g, logStreamName="db/1", nextToken=r["nextForwardToken"])
logs.put_log_events(logGroupName=g, logStreamName="db/1", logEvents=[{"timestamp": ${now}, "message": "INFO later"}])
more = logs.get_log_events(logGroupName=g, logStreamName="db/1", nextToken=again["nextForwardToken"])
dump({"same": again["nextForwardToken"] == r["nextForwardToken"], "events": len(again["events"]), "after": [e["message"] for e in more["events"]]})`,
      );
      assert.deepEqual(page, { same: true, events: 0, after: ["INFO later"] });
    });

    it("expires events past the retention period in the background sweep (time injected, no sleeping)", async () => {
      const g = "/t8/expiry";
      const now = Date.now();
      await seed(server, [
        {
          group: g,
          streams: {
            s: [[{ timestamp: now - 5 * day, message: "five days old" }], [{ timestamp: now - 2 * day, message: "two days old" }], [{ timestamp: now, message: "fresh" }]],
          },
        },
      ]);
      await py(server, `logs.put_retention_policy(logGroupName="${g}", retentionInDays=3); dump(None)`);
      const logs = server.cp.store.logs;
      const sweeper = new RetentionSweeper({ logs, clock: { now: () => new Date(now) } });
      const firstSweep = await sweeper.sweep();
      assert.ok(firstSweep.deleted >= 1);
      assert.deepEqual(await streamMessages(g, "s"), ["two days old", "fresh"]);
      assert.equal((await logs.getGroup(g))?.storedBytes, "two days old".length + "fresh".length);
      // Ten days on, everything in the group has expired; the stream itself stays, as on AWS.
      await sweeper.sweep(new Date(now + 10 * day));
      const after = await py<{ events: number; storedBytes: number; streams: string[] }>(
        server,
        `dump({"events": len(logs.get_log_events(logGroupName="${g}", logStreamName="s")["events"]),
  "storedBytes": logs.describe_log_groups(logGroupNamePrefix="${g}")["logGroups"][0]["storedBytes"],
  "streams": [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="${g}")["logStreams"]]})`,
      );
      assert.deepEqual(after, { events: 0, storedBytes: 0, streams: ["s"] });
    });
  });
}
