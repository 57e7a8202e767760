// Reads an official AWS service model (vendored in models/) and uses it to check
// requests and to shape responses, so the wire contract comes from AWS, not from us.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { errors } from "../edge/errors.js";

interface MemberRef {
  readonly shape: string;
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
}
interface Operation {
  readonly name: string;
  readonly input?: MemberRef;
  readonly output?: MemberRef;
}
interface ModelFile {
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly operations: Readonly<Record<string, Operation>>;
  readonly shapes: Readonly<Record<string, Shape>>;
}

const modelsDir = fileURLToPath(new URL("../../../models/", import.meta.url));

/** Shapes one value of a model shape for output. */
type Writer = (value: unknown) => unknown;
const same: Writer = (value) => value;

/** Why a value does not fit its shape: wrong JSON type, or a broken constraint. */
type Problem = { kind: "type"; message: string } | { kind: "constraint"; message: string };

export class ServiceModel {
  readonly targetPrefix: string;
  readonly signingName: string;
  readonly operations: ReadonlySet<string>;
  private readonly patterns = new Map<string, RegExp | null>();
  private readonly writers = new Map<string, Writer>();

  private constructor(private readonly file: ModelFile) {
    const meta = file.metadata as { targetPrefix?: string; signingName?: string; endpointPrefix: string };
    this.targetPrefix = meta.targetPrefix ?? "";
    this.signingName = meta.signingName ?? meta.endpointPrefix;
    this.operations = new Set(Object.keys(file.operations));
  }

  static load(name: string): ServiceModel {
    return new ServiceModel(JSON.parse(readFileSync(`${modelsDir}${name}.json`, "utf8")) as ModelFile);
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
    const value = this.read(ref.shape, body, "", problems) as Record<string, unknown>;
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
    return this.writer(ref.shape)(value) as Record<string, unknown>;
  }

  private read(shapeName: string, value: unknown, path: string, problems: Problem[]): unknown {
    const shape = this.shape(shapeName);
    const at = path === "" ? "the request" : `'${path}'`;
    const typeError = (expected: string): undefined => {
      problems.push({ kind: "type", message: `Expected ${expected} at ${at}, got ${describe(value)}.` });
      return undefined;
    };
    const constraint = (rule: string): void => {
      problems.push({
        kind: "constraint",
        message: `Value ${preview(value)} at ${at} failed to satisfy constraint: ${rule}`,
      });
    };
    switch (shape.type) {
      case "structure":
      case "union": {
        if (shape.document) return value;
        if (typeof value !== "object" || value === null || Array.isArray(value)) return typeError("an object");
        const input = value as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const [name, member] of Object.entries(shape.members ?? {})) {
          const v = input[name];
          if (v === undefined || v === null) continue;
          out[name] = this.read(member.shape, v, path === "" ? name : `${path}.${name}`, problems);
        }
        for (const name of shape.required ?? []) {
          if (input[name] === undefined || input[name] === null) {
            problems.push({
              kind: "constraint",
              message: `Value null at '${path === "" ? name : `${path}.${name}`}' failed to satisfy constraint: Member must not be null`,
            });
          }
        }
        return out;
      }
      case "list": {
        if (!Array.isArray(value)) return typeError("a list");
        this.checkLength(shape, value.length, constraint);
        return value.map((item, i) => this.read(shape.member!.shape, item, `${path}[${i}]`, problems));
      }
      case "map": {
        if (typeof value !== "object" || value === null || Array.isArray(value)) return typeError("a map");
        const entries = Object.entries(value as Record<string, unknown>);
        this.checkLength(shape, entries.length, constraint);
        const out: Record<string, unknown> = {};
        for (const [k, v] of entries) {
          this.read(shape.key!.shape, k, `${path}.key`, problems);
          out[k] = this.read(shape.value!.shape, v, `${path}.${k}`, problems);
        }
        return out;
      }
      case "string": {
        if (typeof value !== "string") return typeError("a string");
        if (shape.enum && !shape.enum.includes(value)) {
          constraint(`Member must satisfy enum value set: [${shape.enum.join(", ")}]`);
        }
        this.checkLength(shape, value.length, constraint);
        const pattern = shape.pattern === undefined ? null : this.pattern(shape.pattern);
        if (pattern && !pattern.test(value)) constraint(`Member must satisfy regular expression pattern: ${shape.pattern}`);
        return value;
      }
      case "integer":
      case "long": {
        if (typeof value !== "number" || !Number.isInteger(value)) return typeError("an integer");
        this.checkRange(shape, value, constraint);
        return value;
      }
      case "double":
      case "float": {
        if (typeof value !== "number") return typeError("a number");
        this.checkRange(shape, value, constraint);
        return value;
      }
      case "boolean":
        return typeof value === "boolean" ? value : typeError("a boolean");
      case "timestamp": {
        const date =
          typeof value === "number" ? new Date(value * 1000) : typeof value === "string" ? new Date(value) : null;
        if (!date || Number.isNaN(date.getTime())) return typeError("a timestamp (epoch seconds)");
        return date;
      }
      case "blob":
        return typeof value === "string" ? Buffer.from(value, "base64") : typeError("a base64 string");
      default:
        return value;
    }
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

  private checkLength(shape: Shape, length: number, constraint: (rule: string) => void): void {
    if (shape.min !== undefined && length < shape.min) {
      constraint(`Member must have length greater than or equal to ${shape.min}`);
    }
    if (shape.max !== undefined && length > shape.max) {
      constraint(`Member must have length less than or equal to ${shape.max}`);
    }
  }

  private checkRange(shape: Shape, n: number, constraint: (rule: string) => void): void {
    if (shape.min !== undefined && n < shape.min) constraint(`Member must have value greater than or equal to ${shape.min}`);
    if (shape.max !== undefined && n > shape.max) constraint(`Member must have value less than or equal to ${shape.max}`);
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
