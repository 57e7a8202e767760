// AWS's query protocol (ELBv2, IAM, STS, …), driven by the service model like
// JSON 1.1: a request is a form of flattened keys (`Tags.member.1.Key=k`), an
// answer is XML (`<OpResponse><OpResult>…</OpResult><ResponseMetadata>…`).
//
//   Action=Op&Version=…&A.member.1=x ─ decodeQuery ─ { A: ["x"] } ─ ApiModel.parseInput ─ handler
//   handler's answer ─ encodeQueryResult ─ <OpResponse xmlns=…><OpResult>…</OpResult>…</OpResponse>
//   AwsError ─ encodeQueryError ─ <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>

import type { ApiModel, Shape } from "./api-model.js";

/** A form's keys split at their dots: `A.member.1=x` becomes { A: { member: { 1: "x" } } }. */
interface FormTree {
  [key: string]: FormTree | string;
}

function formTree(params: URLSearchParams): FormTree {
  const root: FormTree = {};
  for (const [key, value] of params) {
    if (key === "Action" || key === "Version") continue;
    const parts = key.split(".");
    const last = parts.pop();
    if (last === undefined) continue;
    let node = root;
    for (const part of parts) {
      const next = node[part];
      if (typeof next === "object") node = next;
      else node = node[part] = {};
    }
    // A key that is both a value and a prefix keeps its children: `Tags=` with `Tags.member.1…` is the list.
    if (typeof node[last] !== "object") node[last] = value;
  }
  return root;
}

/** The numbered children of a list or map node (1, 2, …), in order. */
function numbered(node: FormTree | string | undefined): (FormTree | string)[] {
  if (node === undefined || typeof node === "string") return [];
  return Object.keys(node)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => node[k] as FormTree | string);
}

/** A scalar from its form text, typed as the JSON reader expects; text that does not fit stays text, so the reader reports it. */
function scalar(shape: Shape, text: string): unknown {
  switch (shape.type) {
    case "integer":
    case "long":
    case "double":
    case "float":
      return text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text;
    case "boolean":
      return text === "true" ? true : text === "false" ? false : text;
    default:
      return text;
  }
}

/**
 * A query request's parameters as the operation's input, in the JSON protocol's
 * form (numbers, booleans, lists, maps), ready for ApiModel.parseInput.
 */
export function decodeQuery(model: ApiModel, operation: string, params: URLSearchParams): Record<string, unknown> {
  const input = model.operation(operation)?.input;
  if (!input) return {};
  const decode = (shapeName: string, node: FormTree | string): unknown => {
    const shape = model.shape(shapeName);
    switch (shape.type) {
      case "structure": {
        if (typeof node === "string") return node;
        const out: Record<string, unknown> = {};
        for (const [name, member] of Object.entries(shape.members ?? {})) {
          const child = node[member.locationName ?? name];
          if (child !== undefined) out[name] = decode(member.shape, child);
        }
        return out;
      }
      case "list": {
        const member = shape.member;
        if (!member) return [];
        // An empty list is sent as `Name=`; a flattened one numbers its items directly.
        const items = typeof node === "string" ? [] : shape.flattened ? numbered(node) : numbered(node[member.locationName ?? "member"]);
        return items.map((item) => decode(member.shape, item));
      }
      case "map": {
        const { key, value } = shape;
        if (!key || !value) return {};
        const entries = typeof node === "string" ? [] : shape.flattened ? numbered(node) : numbered(node["entry"]);
        const out: Record<string, unknown> = {};
        for (const entry of entries) {
          if (typeof entry === "string") continue;
          const k = entry[key.locationName ?? "key"];
          const v = entry[value.locationName ?? "value"];
          if (typeof k === "string" && v !== undefined) out[k] = decode(value.shape, v);
        }
        return out;
      }
      default:
        return typeof node === "string" ? scalar(shape, node) : node;
    }
  };
  return decode(input.shape, formTree(params)) as Record<string, unknown>;
}

const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&apos;"));

/** A scalar's text; anything else (a handler's mistake) as JSON rather than "[object Object]". */
const textOf = (value: unknown): string =>
  typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : JSON.stringify(value);

/** One value of a shape as XML elements named `name`; nothing for an absent value. */
function xmlOf(model: ApiModel, shapeName: string, name: string, value: unknown): string {
  if (value === undefined || value === null) return "";
  const shape = model.shape(shapeName);
  switch (shape.type) {
    case "structure": {
      if (typeof value !== "object") return "";
      const input = value as Record<string, unknown>;
      let inner = "";
      for (const [member, ref] of Object.entries(shape.members ?? {})) inner += xmlOf(model, ref.shape, ref.locationName ?? member, input[member]);
      return `<${name}>${inner}</${name}>`;
    }
    case "list": {
      const member = shape.member;
      if (!member || !Array.isArray(value)) return "";
      if (shape.flattened) return value.map((item) => xmlOf(model, member.shape, name, item)).join("");
      const itemName = member.locationName ?? "member";
      return `<${name}>${value.map((item) => xmlOf(model, member.shape, itemName, item)).join("")}</${name}>`;
    }
    case "map": {
      const { key, value: valueRef } = shape;
      if (!key || !valueRef || typeof value !== "object") return "";
      const entries = Object.entries(value as Record<string, unknown>).map(
        ([k, v]) => `${xmlOf(model, key.shape, key.locationName ?? "key", k)}${xmlOf(model, valueRef.shape, valueRef.locationName ?? "value", v)}`,
      );
      return shape.flattened ? entries.map((e) => `<${name}>${e}</${name}>`).join("") : `<${name}>${entries.map((e) => `<entry>${e}</entry>`).join("")}</${name}>`;
    }
    case "timestamp":
      return `<${name}>${value instanceof Date ? value.toISOString() : escapeXml(textOf(value))}</${name}>`;
    case "blob":
      return `<${name}>${value instanceof Uint8Array ? Buffer.from(value).toString("base64") : escapeXml(textOf(value))}</${name}>`;
    default:
      return `<${name}>${escapeXml(textOf(value))}</${name}>`;
  }
}

/** An operation's answer: its output shape inside the result wrapper, then the request id. */
export function encodeQueryResult(model: ApiModel, operation: string, output: unknown, requestId: string): string {
  const out = model.operation(operation)?.output;
  const result = out ? xmlOf(model, out.shape, out.resultWrapper ?? `${operation}Result`, output ?? {}) : "";
  return (
    `<${operation}Response xmlns="${model.xmlNamespace}">${result}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`
  );
}

/**
 * The query protocol's names for the errors every API shares, where they differ
 * from the JSON protocols' (as IAM, STS and ELBv2 answer them).
 */
const queryCodes: Readonly<Record<string, string>> = {
  InvalidParameterException: "ValidationError",
  SerializationException: "ValidationError",
  UnknownOperationException: "InvalidAction",
  MissingAuthenticationTokenException: "MissingAuthenticationToken",
  IncompleteSignatureException: "IncompleteSignature",
  InvalidSignatureException: "SignatureDoesNotMatch",
  UnrecognizedClientException: "InvalidClientTokenId",
  AccessDeniedException: "AccessDenied",
  ThrottlingException: "Throttling",
  ServerException: "InternalFailure",
};

/** An error as the query protocol sends it: the code the model gives the error's shape, Sender or Receiver, the message. */
export function encodeQueryError(model: ApiModel, error: { readonly code: string; readonly status: number; readonly message: string }, requestId: string): string {
  const modelled = model.hasShape(error.code) ? model.shape(error.code).error?.code : undefined;
  const code = modelled ?? queryCodes[error.code] ?? error.code;
  const type = error.status >= 500 ? "Receiver" : "Sender";
  return (
    `<ErrorResponse xmlns="${model.xmlNamespace}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
