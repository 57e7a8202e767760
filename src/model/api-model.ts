// Reads an official AWS service model (vendored in models/) and uses it to check
// requests and to shape responses, so the wire contract comes from AWS, not from us.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { errors } from "../errors.js";

interface MemberRef {
  readonly shape: string;
  /** The member's name on the wire where it differs (the query protocol and XML). */
  readonly locationName?: string;
}
export interface Shape {
  readonly type: string;
  readonly members?: Readonly<Record<string, MemberRef>>;
  readonly required?: readonly string[];
  readonly member?: MemberRef;
  readonly key?: MemberRef;
  readonly value?: MemberRef;
  readonly enum?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly document?: boolean;
  readonly exception?: boolean;
  /** A list or map written without its wrapping element (query protocol, XML). */
  readonly flattened?: boolean;
  /** An error shape's code on the query protocol's wire, where it differs from the shape's name. */
  readonly error?: { readonly code?: string; readonly httpStatusCode?: number; readonly senderFault?: boolean };
}
export interface Operation {
  readonly name: string;
  readonly input?: MemberRef;
  readonly output?: MemberRef & { readonly resultWrapper?: string };
}
interface ModelFile {
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly operations: Readonly<Record<string, Operation>>;
  readonly shapes: Readonly<Record<string, Shape>>;
}

const modelsDir = fileURLToPath(new URL("../../../models/", import.meta.url));

/** Checks one request value of a model shape, noting what is wrong, and converts it. */
type Reader = (value: unknown, path: string, problems: Problem[]) => unknown;
/** Shapes one value of a model shape for output. */
type Writer = (value: unknown) => unknown;
const same = (value: unknown): unknown => value;

/** Why a value does not fit its shape: wrong JSON type, or a broken constraint. */
type Problem = { kind: "type"; message: string } | { kind: "constraint"; message: string };

export class ApiModel {
  readonly targetPrefix: string;
  readonly signingName: string;
  /** The wire protocol: "json" (X-Amz-Target) or "query" (Action=, XML answers). */
  readonly protocol: string;
  readonly apiVersion: string;
  /** The namespace of the query protocol's XML answers. */
  readonly xmlNamespace: string;
  readonly operations: ReadonlySet<string>;
  private readonly patterns = new Map<string, RegExp | null>();
  private readonly readers = new Map<string, Reader>();
  private readonly writers = new Map<string, Writer>();

  private constructor(private readonly file: ModelFile) {
    const meta = file.metadata as { targetPrefix?: string; signingName?: string; endpointPrefix: string; protocol: string; apiVersion: string; xmlNamespace?: string };
    this.targetPrefix = meta.targetPrefix ?? "";
    this.signingName = meta.signingName ?? meta.endpointPrefix;
    this.protocol = meta.protocol;
    this.apiVersion = meta.apiVersion;
    this.xmlNamespace = meta.xmlNamespace ?? "";
    this.operations = new Set(Object.keys(file.operations));
  }

  static load(name: string): ApiModel {
    return new ApiModel(JSON.parse(readFileSync(`${modelsDir}${name}.json`, "utf8")) as ModelFile);
  }

  operation(name: string): Operation | undefined {
    return this.file.operations[name];
  }

  /** Whether the model names this shape. */
  hasShape(name: string): boolean {
    return name in this.file.shapes;
  }

  shape(name: string): Shape {
    const shape = this.file.shapes[name];
    if (!shape) throw new Error(`unknown shape ${name}`);
    return shape;
  }

  /**
   * Checks a decoded request body against the operation's input shape and returns
   * it with timestamps as Dates and blobs as Buffers. Wrong JSON types raise
   * SerializationException; broken constraints raise InvalidParameterException,
   * with AWS's "1 validation error detected" message naming the field.
   */
  parseInput(operation: string, body: unknown): Record<string, unknown> {
    const ref = this.file.operations[operation]?.input;
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw errors.serialization("The request body must be a JSON object.");
    }
    if (!ref) return {};
    const problems: Problem[] = [];
    const value = this.reader(ref.shape)(body, "", problems) as Record<string, unknown>;
    const typeProblem = problems.find((p) => p.kind === "type");
    if (typeProblem) throw errors.serialization(typeProblem.message);
    if (problems.length > 0) {
      const n = problems.length;
      throw errors.invalidParameter(
        `${n} validation error${n === 1 ? "" : "s"} detected: ${problems.map((p) => p.message).join("; ")}`,
      );
    }
    return value;
  }

  /** Keeps exactly the output shape's members, with timestamps as epoch seconds. */
  formatOutput(operation: string, value: unknown): Record<string, unknown> {
    const ref = this.file.operations[operation]?.output;
    if (!ref || value === undefined || value === null) return {};
    return this.formatShape(ref.shape, value) as Record<string, unknown>;
  }

  /** formatOutput for one value of a named shape: a part of an answer encoded on its own. */
  formatShape(shapeName: string, value: unknown): unknown {
    return this.writer(shapeName)(value);
  }

  /**
   * The function that checks and converts a request value of a shape, made once
   * per shape: every request walks the same few shapes, so each shape's members,
   * rules and messages are worked out once.
   */
  private reader(shapeName: string): Reader {
    const known = this.readers.get(shapeName);
    if (known) return known;
    const shape = this.shape(shapeName);
    const at = (path: string) => (path === "" ? "the request" : `'${path}'`);
    const typeError = (expected: string, value: unknown, path: string, problems: Problem[]): undefined => {
      problems.push({ kind: "type", message: `Expected ${expected} at ${at(path)}, got ${describe(value)}.` });
      return undefined;
    };
    const constraint = (rule: string, value: unknown, path: string, problems: Problem[]): void => {
      problems.push({ kind: "constraint", message: `Value ${preview(value)} at ${at(path)} failed to satisfy constraint: ${rule}` });
    };
    const checkLength = (length: number, value: unknown, path: string, problems: Problem[]): void => {
      if (shape.min !== undefined && length < shape.min) constraint(`Member must have length greater than or equal to ${shape.min}`, value, path, problems);
      if (shape.max !== undefined && length > shape.max) constraint(`Member must have length less than or equal to ${shape.max}`, value, path, problems);
    };
    const checkRange = (n: number, path: string, problems: Problem[]): void => {
      if (shape.min !== undefined && n < shape.min) constraint(`Member must have value greater than or equal to ${shape.min}`, n, path, problems);
      if (shape.max !== undefined && n > shape.max) constraint(`Member must have value less than or equal to ${shape.max}`, n, path, problems);
    };
    switch (shape.type) {
      case "structure":
      case "union": {
        if (shape.document) return this.keepReader(shapeName, same);
        const fields: (readonly [string, Reader])[] = [];
        const required = shape.required ?? [];
        const read: Reader = (value, path, problems) => {
          if (typeof value !== "object" || value === null || Array.isArray(value)) return typeError("an object", value, path, problems);
          const input = value as Record<string, unknown>;
          const out: Record<string, unknown> = {};
          for (const [name, readMember] of fields) {
            const v = input[name];
            if (v === undefined || v === null) continue;
            out[name] = readMember(v, path === "" ? name : `${path}.${name}`, problems);
          }
          for (const name of required) {
            if (input[name] === undefined || input[name] === null) {
              problems.push({
                kind: "constraint",
                message: `Value null at '${path === "" ? name : `${path}.${name}`}' failed to satisfy constraint: Member must not be null`,
              });
            }
          }
          return out;
        };
        // Known before its members are, so a shape that contains itself ends the recursion.
        this.readers.set(shapeName, read);
        for (const [name, member] of Object.entries(shape.members ?? {})) fields.push([name, this.reader(member.shape)]);
        return read;
      }
      case "list": {
        const readItem = this.reader(shape.member!.shape);
        return this.keepReader(shapeName, (value, path, problems) => {
          if (!Array.isArray(value)) return typeError("a list", value, path, problems);
          checkLength(value.length, value, path, problems);
          return value.map((item, i) => readItem(item, `${path}[${i}]`, problems));
        });
      }
      case "map": {
        const readKey = this.reader(shape.key!.shape);
        const readValue = this.reader(shape.value!.shape);
        return this.keepReader(shapeName, (value, path, problems) => {
          if (typeof value !== "object" || value === null || Array.isArray(value)) return typeError("a map", value, path, problems);
          const entries = Object.entries(value as Record<string, unknown>);
          checkLength(entries.length, value, path, problems);
          const out: Record<string, unknown> = {};
          for (const [k, v] of entries) {
            readKey(k, `${path}.key`, problems);
            out[k] = readValue(v, `${path}.${k}`, problems);
          }
          return out;
        });
      }
      case "string": {
        const allowed = shape.enum && new Set(shape.enum);
        const enumRule = shape.enum && `Member must satisfy enum value set: [${shape.enum.join(", ")}]`;
        const pattern = shape.pattern === undefined ? null : this.pattern(shape.pattern);
        const patternRule = `Member must satisfy regular expression pattern: ${shape.pattern}`;
        return this.keepReader(shapeName, (value, path, problems) => {
          if (typeof value !== "string") return typeError("a string", value, path, problems);
          if (allowed && !allowed.has(value)) constraint(enumRule!, value, path, problems);
          checkLength(value.length, value, path, problems);
          if (pattern && !pattern.test(value)) constraint(patternRule, value, path, problems);
          return value;
        });
      }
      case "integer":
      case "long":
        return this.keepReader(shapeName, (value, path, problems) => {
          if (typeof value !== "number" || !Number.isInteger(value)) return typeError("an integer", value, path, problems);
          checkRange(value, path, problems);
          return value;
        });
      case "double":
      case "float":
        return this.keepReader(shapeName, (value, path, problems) => {
          if (typeof value !== "number") return typeError("a number", value, path, problems);
          checkRange(value, path, problems);
          return value;
        });
      case "boolean":
        return this.keepReader(shapeName, (value, path, problems) => (typeof value === "boolean" ? value : typeError("a boolean", value, path, problems)));
      case "timestamp":
        return this.keepReader(shapeName, (value, path, problems) => {
          const date = typeof value === "number" ? new Date(value * 1000) : typeof value === "string" ? new Date(value) : null;
          if (!date || Number.isNaN(date.getTime())) return typeError("a timestamp (epoch seconds)", value, path, problems);
          return date;
        });
      case "blob":
        return this.keepReader(shapeName, (value, path, problems) =>
          typeof value === "string" ? Buffer.from(value, "base64") : typeError("a base64 string", value, path, problems),
        );
      default:
        return this.keepReader(shapeName, same);
    }
  }

  private keepReader(shapeName: string, read: Reader): Reader {
    this.readers.set(shapeName, read);
    return read;
  }

  /**
   * The function that shapes a value for output, made once per shape: every
   * response walks the same few shapes, so their members are listed once.
   */
  private writer(shapeName: string): Writer {
    const known = this.writers.get(shapeName);
    if (known) return known;
    const shape = this.shape(shapeName);
    switch (shape.type) {
      case "structure":
      case "union": {
        if (shape.document) return same;
        const fields: (readonly [string, Writer])[] = [];
        const write: Writer = (value) => {
          if (typeof value !== "object" || value === null) return value;
          const input = value as Record<string, unknown>;
          const out: Record<string, unknown> = {};
          for (const [name, writeMember] of fields) {
            const v = input[name];
            if (v !== undefined && v !== null) out[name] = writeMember(v);
          }
          return out;
        };
        // Known before its members are, so a shape that contains itself ends the recursion.
        this.writers.set(shapeName, write);
        for (const [name, member] of Object.entries(shape.members ?? {})) fields.push([name, this.writer(member.shape)]);
        return write;
      }
      case "list": {
        const writeItem = this.writer(shape.member!.shape);
        return this.keep(shapeName, (value) => (Array.isArray(value) ? value.map((item) => writeItem(item)) : value));
      }
      case "map": {
        const writeValue = this.writer(shape.value!.shape);
        return this.keep(shapeName, (value) => {
          if (typeof value !== "object" || value === null) return value;
          const out: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = writeValue(v);
          return out;
        });
      }
      case "timestamp":
        return this.keep(shapeName, (value) => (value instanceof Date ? value.getTime() / 1000 : value));
      case "blob":
        return this.keep(shapeName, (value) => (value instanceof Uint8Array ? Buffer.from(value).toString("base64") : value));
      default:
        return this.keep(shapeName, same);
    }
  }

  private keep(shapeName: string, write: Writer): Writer {
    this.writers.set(shapeName, write);
    return write;
  }

  /** Model patterns are Java regexes; the few JavaScript cannot compile are not enforced. */
  private pattern(source: string): RegExp | null {
    let re = this.patterns.get(source);
    if (re === undefined) {
      try {
        re = new RegExp(`^(?:${source})$`, "u");
      } catch {
        re = null;
      }
      this.patterns.set(source, re);
    }
    return re;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function preview(value: unknown): string {
  const text = typeof value === "string" ? `'${value}'` : JSON.stringify(value) ?? String(value);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
