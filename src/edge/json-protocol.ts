// AWS JSON 1.1: the X-Amz-Target header names service and operation; the body is
// checked against the service model, handed to the service's handler, and the
// result is cut to the model's output shape. `invoke` (model check, access, handler)
// serves the query protocol too (server.ts decodes its form with model/query-codec.ts).

import type { ApiModel } from "../model/api-model.js";
import type { Principal } from "./access-keys.js";
import { BadPageKey } from "../store/store.js";
import { errors } from "../errors.js";

export interface RequestContext {
  readonly requestId: string;
  readonly principal: Principal;
  readonly accountId: string;
  readonly region: string;
  readonly now: Date;
}

// Handlers take the model-checked input; their own signatures (from the generated
// types) are narrower, which `defineHandlers` below keeps sound.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (input: any, ctx: RequestContext) => Promise<unknown>;

export interface ServedApi {
  readonly model: ApiModel;
  readonly handlers: ReadonlyMap<string, Handler>;
  /** Operations every signed caller may call, whatever its permissions (sts:GetCallerIdentity). */
  readonly open?: ReadonlySet<string>;
}

interface OperationShapes {
  readonly input: unknown;
  readonly output: unknown;
}

/**
 * An operation's answer already encoded as its JSON body, sent as it is: for a
 * handler that keeps encoded parts of its answers, which shapes each part to the
 * model itself (ApiModel.formatShape).
 */
export class EncodedOutput<T> {
  declare private readonly output?: T;
  constructor(readonly json: string) {}
}

export type Handlers<Ops extends { readonly [K in keyof Ops]: OperationShapes }> = {
  readonly [K in keyof Ops]?: (input: Ops[K]["input"], ctx: RequestContext) => Promise<Ops[K]["output"]>;
};

/** What a service is made of: handlers, any of which may answer with its output already encoded. */
export type ApiHandlers<Ops extends { readonly [K in keyof Ops]: OperationShapes }> = {
  readonly [K in keyof Ops]?: (input: Ops[K]["input"], ctx: RequestContext) => Promise<Ops[K]["output"] | EncodedOutput<Ops[K]["output"]>>;
};

export function defineApi<Ops extends { readonly [K in keyof Ops]: OperationShapes }>(
  model: ApiModel,
  handlers: ApiHandlers<Ops>,
  open: readonly (keyof Ops & string)[] = [],
): ServedApi {
  return { model, handlers: new Map(Object.entries(handlers) as [string, Handler][]), open: new Set(open) };
}

export interface Dispatch {
  readonly service: ServedApi;
  readonly operation: string;
}

/** Finds the service and operation an X-Amz-Target header names. */
export function resolveTarget(services: readonly ServedApi[], target: string | undefined): Dispatch {
  const dot = target?.lastIndexOf(".") ?? -1;
  const prefix = dot > 0 ? target!.slice(0, dot) : "";
  const service = services.find((s) => s.model.protocol === "json" && s.model.targetPrefix === prefix);
  if (!target || !service) throw errors.unknownOperation(`Unknown operation: X-Amz-Target '${target ?? ""}' names no service this endpoint serves.`);
  return { service, operation: target.slice(dot + 1) };
}

/** A JSON 1.1 request body, decoded (an empty body is an empty input). */
export function decodeJsonBody(body: Uint8Array): unknown {
  // A view of the body's bytes, not a copy.
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw errors.serialization("The request body is not valid JSON.");
  }
}

/**
 * Checks the decoded input against the model and runs the operation's handler, whatever
 * the protocol that carried it; returns the handler's answer for the protocol to encode.
 */
export async function invoke(dispatch: Dispatch, decoded: unknown, ctx: RequestContext): Promise<unknown> {
  const { service, operation } = dispatch;
  if (!service.model.operations.has(operation)) {
    throw errors.unknownOperation(`Unknown operation ${operation}.`);
  }
  if (ctx.principal.allows && !service.open?.has(operation) && !ctx.principal.allows(service.model.signingName, operation)) {
    throw errors.accessDenied(
      `User: ${ctx.principal.arn} is not authorized to perform: ${service.model.signingName}:${operation} on resource: *`,
    );
  }
  const handler = service.handlers.get(operation);
  if (!handler) throw errors.unsupportedFeature(`Berth does not support ${operation} yet.`);
  const input = service.model.parseInput(operation, decoded);
  try {
    return await handler(input, ctx);
  } catch (err) {
    if (err instanceof BadPageKey) throw errors.invalidParameter("Invalid nextToken: pass the nextToken of a previous response unchanged.");
    throw err;
  }
}
