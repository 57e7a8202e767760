// What the logs area keeps, behind one interface for both backends: log groups
// (with retention and tags), their streams, and the events of each stream.
//
// Times are epoch milliseconds. An event's position is (timestamp, id): ids only
// grow and are never reused, so positions order every event of a group totally
// and survive as paging tokens and eventIds.

import type { Page } from "./page.js";

export interface LogGroupRecord {
  readonly id: number;
  readonly name: string;
  readonly createdAt: number;
  readonly retentionInDays?: number;
  readonly storedBytes: number;
  readonly kmsKeyId?: string;
  readonly logGroupClass: string;
  readonly deletionProtection: boolean;
}

export interface NewLogGroup {
  readonly name: string;
  readonly createdAt: number;
  readonly kmsKeyId?: string;
  readonly logGroupClass: string;
  readonly deletionProtection: boolean;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface LogStreamRecord {
  readonly id: number;
  readonly groupId: number;
  readonly name: string;
  readonly createdAt: number;
  readonly firstEventAt?: number;
  readonly lastEventAt?: number;
  readonly lastIngestionAt?: number;
  readonly uploads: number;
}

export interface StoredLogEvent {
  readonly id: number;
  readonly streamId: number;
  readonly timestamp: number;
  readonly ingestionTime: number;
  readonly message: string;
}

export interface EventPosition {
  readonly timestamp: number;
  readonly id: number;
}

export interface LogGroupQuery {
  /** Names starting with this (case-sensitive). */
  readonly prefix?: string;
  /** Names containing this (case-sensitive). */
  readonly contains?: string;
  readonly logGroupClass?: string;
  /** Only these names. */
  readonly names?: readonly string[];
  /** Resume after this name. */
  readonly after?: string;
  readonly limit: number;
}

export interface LogStreamQuery {
  readonly groupId: number;
  readonly prefix?: string;
  readonly orderBy: "LogStreamName" | "LastEventTime";
  readonly descending: boolean;
  /** Resume after this stream (the sort key of the last one returned). */
  readonly after?: LogStreamCursor;
  readonly limit: number;
}

/** Where a stream listing stopped: the name, and for LastEventTime the time it sorted by. */
export interface LogStreamCursor {
  readonly name: string;
  readonly lastEventAt?: number;
}

export interface StreamRead {
  readonly streamId: number;
  /** Inclusive. */
  readonly startTime?: number;
  /** Exclusive. */
  readonly endTime?: number;
  /** forward: events after `from`, oldest first; backward: events before `from`, newest first. */
  readonly direction: "forward" | "backward";
  readonly from?: EventPosition;
  readonly limit: number;
}

export interface GroupScan {
  readonly groupId: number;
  /** Only these streams (undefined: all of the group's). */
  readonly streamIds?: readonly number[];
  /** Only streams whose names start with this. */
  readonly streamPrefix?: string;
  readonly startTime?: number;
  readonly endTime?: number;
  /** Events strictly after this position, in (timestamp, id) order. */
  readonly after?: EventPosition;
  /** Each inner list: the message contains at least one of them (case-sensitive). */
  readonly containsAnyOf?: readonly (readonly string[])[];
  /** The message contains none of these. */
  readonly containsNoneOf?: readonly string[];
  /** Return at most this many events… */
  readonly limit: number;
  /** …from the next `window` events of the range (matching or not), so one call's work is bounded. */
  readonly window: number;
}

export interface GroupScanResult {
  readonly events: readonly StoredLogEvent[];
  /** Resume after this position: the last event returned, or the end of the window examined. */
  readonly last?: EventPosition;
  /** No event of the range lies after `last`. */
  readonly done: boolean;
}

/** A group's events in a time range, newest first, one window at a time (Logs Insights reads this way). */
export interface GroupSweep {
  readonly groupId: number;
  /** Inclusive. */
  readonly startTime: number;
  /** Exclusive. */
  readonly endTime: number;
  /** Only events strictly before this position. */
  readonly before?: EventPosition;
  /** The message contains every one of these (case-sensitive). */
  readonly messageContains?: readonly string[];
  /** "position": id, stream and timestamp only, read from the (group_id, ts, id, stream_id) index alone. */
  readonly columns: "position" | "all";
  /** Examine at most this many events of the range (matching or not) per call. */
  readonly window: number;
}

/** An event as a sweep returns it: the message and ingestion time with columns "all". */
export interface SweptEvent {
  readonly id: number;
  readonly streamId: number;
  readonly timestamp: number;
  readonly ingestionTime?: number;
  readonly message?: string;
}

export interface GroupSweepResult {
  /** Newest first. */
  readonly events: readonly SweptEvent[];
  /** Events of the range this call examined (returned or not). */
  readonly examined: number;
  /** Resume before this position. */
  readonly last?: EventPosition;
  /** No event of the range lies before `last`. */
  readonly done: boolean;
}

/** Counts of a group's events in a time range, by time bin and/or stream, in one statement. */
export interface GroupCount {
  readonly groupId: number;
  /** Inclusive. */
  readonly startTime: number;
  /** Exclusive. */
  readonly endTime: number;
  /** Count only events whose message contains every one of these (case-sensitive). */
  readonly messageContains?: readonly string[];
  /** Count per bin of this many milliseconds (a whole number): `bin` is the timestamp floored to it. */
  readonly binMs?: number;
  /** Count per stream. */
  readonly byStream: boolean;
}

export interface GroupCountResult {
  /** Groups with at least one counted event. */
  readonly counts: readonly { readonly bin?: number; readonly streamId?: number; readonly count: number }[];
  /** Events of the range, counted or not. */
  readonly examined: number;
}

/** A saved Logs Insights query. */
export interface QueryDefinitionRecord {
  readonly id: string;
  readonly name: string;
  readonly queryString: string;
  readonly queryLanguage: string;
  readonly logGroupNames: readonly string[];
  /** QueryParameter objects as the API takes them. */
  readonly parameters: readonly unknown[];
  readonly lastModified: number;
}

export interface QueryDefinitionQuery {
  readonly namePrefix?: string;
  /** Resume after this (name, id). */
  readonly after?: { readonly name: string; readonly id: string };
  readonly limit: number;
}

/** What an append found; `plan` picks the events to store once the group is known. */
export type AppendOutcome =
  | { readonly kind: "noGroup" }
  | { readonly kind: "noStream" }
  | { readonly kind: "stored"; readonly stream: LogStreamRecord; readonly count: number };

export interface AppendPlan {
  readonly events: readonly { readonly timestamp: number; readonly message: string }[];
  /** UTF-8 bytes of those messages. */
  readonly bytes: number;
}

/**
 * One region's log groups and query definitions, looked up by name; what is
 * reached by id (streams, events, tags, retention's sweep) is the same in every view.
 */
export interface LogStore {
  /** The region this view names groups in. */
  readonly region: string;
  /** The same store, naming groups in `region`. */
  inRegion(region: string): LogStore;

  // Groups.
  /** Throws UniqueViolation when the name is taken. */
  createGroup(group: NewLogGroup): Promise<LogGroupRecord>;
  getGroup(name: string): Promise<LogGroupRecord | undefined>;
  /** Deletes the group with its streams, events and tags; false when there was none. */
  deleteGroup(name: string): Promise<boolean>;
  listGroups(query: LogGroupQuery): Promise<Page<LogGroupRecord>>;
  /** undefined removes the policy; false when there is no such group. */
  setRetention(name: string, days: number | undefined): Promise<boolean>;
  /** Every region's groups with a retention policy: the sweep acts on them all. */
  groupsWithRetention(): Promise<readonly LogGroupRecord[]>;

  // Tags of a group.
  getTags(groupId: number): Promise<Readonly<Record<string, string>>>;
  /** Adds or overwrites; fails with TooManyTags (nothing written) past `max` tags in all. */
  putTags(groupId: number, tags: Readonly<Record<string, string>>, max: number): Promise<"ok" | "tooMany">;
  deleteTags(groupId: number, keys: readonly string[]): Promise<void>;

  // Streams.
  /** Throws UniqueViolation when the group already has a stream of that name. */
  createStream(groupId: number, name: string, createdAt: number): Promise<LogStreamRecord>;
  getStream(groupId: number, name: string): Promise<LogStreamRecord | undefined>;
  /** Deletes the stream and its events; false when there was none. */
  deleteStream(groupId: number, name: string): Promise<boolean>;
  listStreams(query: LogStreamQuery): Promise<{ readonly items: readonly LogStreamRecord[]; readonly more: boolean }>;
  /** The group's streams by name (names that do not exist are left out). */
  streamsNamed(groupId: number, names: readonly string[]): Promise<readonly LogStreamRecord[]>;
  streamNames(ids: readonly number[]): Promise<ReadonlyMap<number, string>>;

  // Events.
  /**
   * In one transaction: finds the group and stream, asks `plan` (which may throw
   * to refuse the batch) what to store, inserts it as one multi-row insert, and
   * moves the stream's and group's counters once.
   */
  append(
    groupName: string,
    streamName: string,
    ingestedAt: number,
    plan: (group: LogGroupRecord) => AppendPlan,
  ): Promise<AppendOutcome>;
  readStream(read: StreamRead): Promise<readonly StoredLogEvent[]>;
  scanGroup(scan: GroupScan): Promise<GroupScanResult>;
  /** Deletes the group's events older than `before` in one statement; returns how many. */
  expireEvents(groupId: number, before: number): Promise<number>;
  sweepGroup(sweep: GroupSweep): Promise<GroupSweepResult>;
  countGroup(count: GroupCount): Promise<GroupCountResult>;

  // Logs Insights query definitions.
  /** Creates or replaces the definition with this id. */
  putQueryDefinition(definition: QueryDefinitionRecord): Promise<void>;
  getQueryDefinition(id: string): Promise<QueryDefinitionRecord | undefined>;
  /** By name, then id. */
  listQueryDefinitions(query: QueryDefinitionQuery): Promise<{ readonly items: readonly QueryDefinitionRecord[]; readonly more: boolean }>;
  /** False when there was none. */
  deleteQueryDefinition(id: string): Promise<boolean>;
}
