// Logs Insights, query definitions and ListLogGroups end to end on SQLite and
// PostgreSQL, through @aws-sdk/client-cloudwatch-logs and the aws CLI: a generated
// group of 20,000 events in 3 streams whose counts the test knows exactly.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteQueryDefinitionCommand,
  DescribeQueriesCommand,
  DescribeQueryDefinitionsCommand,
  GetQueryResultsCommand,
  ListLogGroupsCommand,
  PutLogEventsCommand,
  PutQueryDefinitionCommand,
  StartQueryCommand,
  StopQueryCommand,
  type GetQueryResultsCommandOutput,
  type ListLogGroupsCommandInput,
  type ResultField,
} from "@aws-sdk/client-cloudwatch-logs";
import { formatInstant } from "../../logs/insights/evaluate.js";
import { awsJson } from "../../../test/kit/aws-cli.js";
import { first } from "../../../test/kit/ecs-assertions.js";
import { startTestServer, testAccount, testRegion, type TestServer } from "../../../test/kit/harness.js";
import { requirePostgresUrl } from "../../../test/kit/postgres.js";

process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";

const stores: ("sqlite" | "postgres")[] = ["sqlite"];
if (requirePostgresUrl()) stores.push("postgres");

const eventCount = 20_000;
const streams = ["web/1", "web/2", "worker/1"];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The timestamp of generated event `i`: one every 250 ms from `firstTimestamp`. */
const timestampAt = (firstTimestamp: number, i: number): number => firstTimestamp + i * 250;

/** The generated events: one every 250 ms, streams in turn, every 7th an ERROR. */
function generated(firstTimestamp: number): { stream: string; timestamp: number; message: string }[] {
  return Array.from({ length: eventCount }, (_, i) => {
    const stream = streams[i % streams.length];
    assert.ok(stream !== undefined);
    return {
      stream,
      timestamp: timestampAt(firstTimestamp, i),
      message: i % 7 === 0 ? `ERROR request ${i} failed` : `INFO request ${i} ok`,
    };
  });
}

const asRecord = (row: readonly ResultField[]): Record<string, string> => Object.fromEntries(row.map((f) => [f.field!, f.value!]));

for (const store of stores) {
  describe(`Logs Insights on ${store}`, () => {
    let server: TestServer;
    let logs: CloudWatchLogsClient;
    const group = "/insights/app";
    // Whole minutes, 30 minutes back: 20,000 events × 250 ms span 83⅓ minutes, all in the past two hours.
    const firstTimestamp = Math.floor((Date.now() - 100 * 60_000) / 60_000) * 60_000;
    const events = generated(firstTimestamp);
    const startTime = Math.floor(firstTimestamp / 1000);
    const endTime = Math.ceil(timestampAt(firstTimestamp, eventCount - 1) / 1000);

    before(async () => {
      server = await startTestServer({ store });
      logs = new CloudWatchLogsClient({
        endpoint: server.url,
        region: testRegion,
        credentials: { accessKeyId: server.cp.root.accessKeyId, secretAccessKey: server.cp.root.secretAccessKey },
      });
      await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
      for (const stream of streams) {
        await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
        const mine = events.filter((e) => e.stream === stream).map(({ timestamp, message }) => ({ timestamp, message }));
        for (let i = 0; i < mine.length; i += 10_000) {
          await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: mine.slice(i, i + 10_000) }));
        }
      }
    });
    after(async () => {
      logs.destroy();
      await server.stop();
    });

    /** Polls GetQueryResults until the query finishes; returns every status seen and the last answer. */
    async function finished(queryId: string): Promise<{ statuses: string[]; answer: GetQueryResultsCommandOutput }> {
      const statuses: string[] = [];
      for (;;) {
        const answer = await logs.send(new GetQueryResultsCommand({ queryId }));
        statuses.push(answer.status!);
        if (answer.status !== "Scheduled" && answer.status !== "Running") return { statuses, answer };
        await sleep(20);
      }
    }

    it("counts events per minute exactly: stats count(*) by bin(1m), through the SDK", async () => {
      const expected = new Map<string, number>();
      for (const e of events) {
        const bin = formatInstant(Math.floor(e.timestamp / 60_000) * 60_000);
        expected.set(bin, (expected.get(bin) ?? 0) + 1);
      }
      const { queryId } = await logs.send(new StartQueryCommand({ logGroupName: group, startTime, endTime, queryString: "stats count(*) by bin(1m)" }));
      const { statuses, answer } = await finished(queryId!);
      assert.equal(statuses[statuses.length - 1], "Complete");
      assert.ok(statuses.slice(0, -1).every((s) => s === "Scheduled" || s === "Running"), statuses.join());
      const rows = answer.results!.map(asRecord);
      assert.deepEqual(Object.keys(first(rows, "a row")), ["bin(1m)", "count(*)"], "groups first, then aggregates; no @ptr for stats");
      assert.deepEqual(new Map(rows.map((r) => [r["bin(1m)"], Number(r["count(*)"])])), expected);
      assert.deepEqual(rows.map((r) => r["bin(1m)"]), [...expected.keys()].sort().reverse(), "newest bin first");
      assert.equal(answer.statistics?.recordsScanned, eventCount);
      assert.equal(answer.statistics?.recordsMatched, eventCount);
    });

    it("counts ERROR lines per stream exactly through aws logs start-query / get-query-results", async () => {
      const expected = Object.fromEntries(streams.map((s) => [s, events.filter((e) => e.stream === s && e.message.startsWith("ERROR")).length]));
      const started = await awsJson<{ queryId: string }>(
        server,
        "logs",
        "start-query",
        "--log-group-name",
        group,
        "--start-time",
        String(startTime),
        "--end-time",
        String(endTime),
        "--query-string",
        "filter @message like /ERROR/ | stats count() by @logStream",
      );
      let answer: { status: string; results: { field: string; value: string }[][]; statistics: { recordsMatched: number } };
      do answer = await awsJson(server, "logs", "get-query-results", "--query-id", started.queryId);
      while (answer.status === "Running" || answer.status === "Scheduled");
      assert.equal(answer.status, "Complete");
      const counts = Object.fromEntries(answer.results.map((r) => [r.find((f) => f.field === "@logStream")!.value, Number(r.find((f) => f.field === "count()")!.value)]));
      assert.deepEqual(counts, expected);
      assert.equal(answer.statistics.recordsMatched, Math.ceil(eventCount / 7));
    });

    it("returns events with fields in order and @ptr, sorted and limited, within the time range", async () => {
      const from = timestampAt(firstTimestamp, 700);
      const { queryId } = await logs.send(
        new StartQueryCommand({
          logGroupNames: [group],
          startTime: Math.floor(from / 1000),
          endTime: Math.floor(timestampAt(firstTimestamp, 1400) / 1000),
          queryString: "fields @timestamp, @message, @logStream | filter @message like 'ERROR' | sort @timestamp asc | limit 3",
        }),
      );
      const rows = (await finished(queryId!)).answer.results!.map(asRecord);
      assert.deepEqual(
        rows.map((r) => Object.keys(r)),
        rows.map(() => ["@timestamp", "@message", "@logStream", "@ptr"]),
      );
      assert.deepEqual(
        rows.map((r) => r["@message"]),
        ["ERROR request 700 failed", "ERROR request 707 failed", "ERROR request 714 failed"],
      );
      const earliest = first(rows, "a row");
      assert.equal(earliest["@timestamp"], formatInstant(from));
      assert.equal(earliest["@logStream"], streams[700 % 3]);
      // The default order is newest first; endTime is inclusive (to the second).
      const { queryId: newest } = await logs.send(
        new StartQueryCommand({ logGroupIdentifiers: [`arn:aws:logs:${testRegion}:${testAccount}:log-group:${group}`], startTime, endTime: Math.floor(timestampAt(firstTimestamp, 1000) / 1000), queryString: "fields @message | limit 1" }),
      );
      assert.deepEqual((await finished(newest!)).answer.results!.map(asRecord)[0]?.["@message"], "INFO request 1000 ok");
    });

    it("refuses what AWS refuses: malformed queries, unknown groups and queries, reversed times", async () => {
      const fails = async (call: Promise<unknown>, name: string, message?: RegExp): Promise<void> => {
        await assert.rejects(call, (err: Error) => {
          assert.equal(err.name, name, err.message);
          if (message) assert.match(err.message, message);
          return true;
        });
      };
      await fails(logs.send(new StartQueryCommand({ logGroupName: group, startTime, endTime, queryString: "stats count(*) by" })), "MalformedQueryException", /line 1 and position 17/);
      await fails(logs.send(new StartQueryCommand({ logGroupName: "/nope", startTime, endTime, queryString: "fields @message" })), "ResourceNotFoundException");
      await fails(logs.send(new StartQueryCommand({ logGroupName: group, startTime: endTime, endTime: startTime, queryString: "fields @message" })), "InvalidParameterException");
      await fails(logs.send(new StartQueryCommand({ startTime, endTime, queryString: "fields @message" })), "InvalidParameterException");
      await fails(logs.send(new GetQueryResultsCommand({ queryId: "00000000-0000-0000-0000-000000000000" })), "ResourceNotFoundException");
    });

    it("stops, describes and remembers queries", async () => {
      const { queryId } = await logs.send(new StartQueryCommand({ logGroupName: group, startTime, endTime, queryString: "fields @message | limit 5" }));
      await finished(queryId!);
      assert.equal((await logs.send(new StopQueryCommand({ queryId }))).success, false, "a finished query cannot be stopped");
      const described = await logs.send(new DescribeQueriesCommand({ logGroupName: group, status: "Complete" }));
      const mine = described.queries!.find((q) => q.queryId === queryId);
      assert.equal(mine?.queryString, "fields @message | limit 5");
      assert.equal(mine?.logGroupName, group);
      assert.ok(described.queries!.every((q) => q.status === "Complete"));
      const paged = await logs.send(new DescribeQueriesCommand({ maxResults: 1 }));
      assert.equal(paged.queries!.length, 1);
      assert.ok(paged.nextToken);

      // Queries are per region, as their log groups are: another region neither lists nor reads this one.
      const elsewhere = new CloudWatchLogsClient({ endpoint: server.url, region: "eu-west-1", credentials: await logs.config.credentials() });
      assert.deepEqual((await elsewhere.send(new DescribeQueriesCommand({}))).queries, []);
      await assert.rejects(elsewhere.send(new GetQueryResultsCommand({ queryId })), { name: "ResourceNotFoundException" });
      await assert.rejects(
        elsewhere.send(new StartQueryCommand({ logGroupName: group, startTime, endTime, queryString: "fields @message" })),
        { name: "ResourceNotFoundException" },
        "the group is this region's",
      );
      elsewhere.destroy();
    });

    it("keeps query definitions: put, replace by id, describe by prefix and page, delete", async () => {
      const { queryDefinitionId: id } = await logs.send(new PutQueryDefinitionCommand({ name: "errors/by-stream", queryString: "filter @message like /ERROR/ | stats count() by @logStream", logGroupNames: [group] }));
      await logs.send(new PutQueryDefinitionCommand({ name: "other", queryString: "fields @message" }));
      await logs.send(new PutQueryDefinitionCommand({ queryDefinitionId: id, name: "errors/by-stream", queryString: "filter @message like /ERROR/ | stats count(*) by @logStream" }));
      const listed = await logs.send(new DescribeQueryDefinitionsCommand({ queryDefinitionNamePrefix: "errors/" }));
      assert.equal(listed.queryDefinitions!.length, 1);
      const d = first(listed.queryDefinitions, "the definition");
      assert.equal(d.queryDefinitionId, id);
      assert.equal(d.queryString, "filter @message like /ERROR/ | stats count(*) by @logStream");
      assert.equal(d.logGroupNames, undefined, "replacing without logGroupNames clears them");
      assert.ok(typeof d.lastModified === "number" && d.lastModified > 0);
      const page = await logs.send(new DescribeQueryDefinitionsCommand({ maxResults: 1 }));
      assert.deepEqual(page.queryDefinitions!.map((q) => q.name), ["errors/by-stream"]);
      const next = await logs.send(new DescribeQueryDefinitionsCommand({ maxResults: 1, nextToken: page.nextToken }));
      assert.deepEqual(next.queryDefinitions!.map((q) => q.name), ["other"]);
      assert.equal((await logs.send(new DeleteQueryDefinitionCommand({ queryDefinitionId: id }))).success, true);
      await assert.rejects(logs.send(new DeleteQueryDefinitionCommand({ queryDefinitionId: id! })), { name: "ResourceNotFoundException" });
      await assert.rejects(logs.send(new PutQueryDefinitionCommand({ queryDefinitionId: id, name: "x", queryString: "fields @message" })), { name: "ResourceNotFoundException" });
    });

    it("lists log groups: ListLogGroups with name patterns, class and pages", async () => {
      for (const name of ["/list/alpha", "/list/beta", "/other/alpha-2"]) await logs.send(new CreateLogGroupCommand({ logGroupName: name }));
      const names = async (input: ListLogGroupsCommandInput): Promise<string[]> =>
        (await logs.send(new ListLogGroupsCommand(input))).logGroups!.map((g) => g.logGroupName!);
      assert.deepEqual(await names({ logGroupNamePattern: "^/list" }), ["/list/alpha", "/list/beta"]);
      assert.deepEqual(await names({ logGroupNamePattern: "alpha" }), ["/list/alpha", "/other/alpha-2"]);
      assert.deepEqual(await names({ logGroupNamePattern: "^/other|beta" }), ["/list/beta", "/other/alpha-2"]);
      assert.deepEqual(await names({ logGroupNamePattern: "al.ha-" }), ["/other/alpha-2"], ". matches any character");
      assert.deepEqual(await names({ logGroupClass: "INFREQUENT_ACCESS" }), []);
      const firstPage = await logs.send(new ListLogGroupsCommand({ limit: 2 }));
      assert.deepEqual(firstPage.logGroups, [
        { logGroupName: "/insights/app", logGroupArn: `arn:aws:logs:${testRegion}:${testAccount}:log-group:/insights/app`, logGroupClass: "STANDARD" },
        { logGroupName: "/list/alpha", logGroupArn: `arn:aws:logs:${testRegion}:${testAccount}:log-group:/list/alpha`, logGroupClass: "STANDARD" },
      ]);
      assert.deepEqual(await names({ limit: 2, nextToken: firstPage.nextToken }), ["/list/beta", "/other/alpha-2"]);
      const cli = await awsJson<{ logGroups: { logGroupName: string }[] }>(server, "logs", "list-log-groups", "--log-group-name-pattern", "^/list");
      assert.deepEqual(cli.logGroups.map((g) => g.logGroupName), ["/list/alpha", "/list/beta"]);
    });
  });
}
