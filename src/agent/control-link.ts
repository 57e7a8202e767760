// The agent's end of the channel: joins with the token, then holds a WebSocket
// to the control plane, reconnecting with backoff for as long as the agent runs.
// Every "tasks" message is the complete desired set for this instance.

import WebSocket from "ws";
import type { Logger } from "pino";
import { connectPath, joinPath, type AgentMessage, type AssignedTask, type HubMessage, type JoinResponse } from "../protocol/channel.js";
import { decodeDoc, encodeDoc } from "../protocol/doc-codec.js";
import { post } from "../aws-client/http-transport.js";

/** Exchanges the join token for the agent's key pair. */
export async function join(server: string, token: string): Promise<JoinResponse> {
  const res = await post(new URL(joinPath, server), { authorization: `Bearer ${token}` }, Buffer.alloc(0));
  if (res.status === 401) throw new Error(`the control plane at ${server} refused the join token; use the token \`berth server\` printed.`);
  if (res.status < 200 || res.status > 299) throw new Error(`joining ${server} failed: HTTP ${res.status}`);
  return JSON.parse(res.body.toString("utf8")) as JoinResponse;
}

export interface ControlLinkOptions {
  readonly server: string;
  readonly token: string;
  readonly containerInstanceArn: string;
  readonly logger: Logger;
  readonly onTasks: (tasks: readonly AssignedTask[]) => void;
  readonly onConnected?: () => void;
}

export class ControlLink {
  private ws: WebSocket | undefined;
  private closed = false;
  private backoffMs = 250;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ControlLinkOptions) {}

  start(): void {
    this.open();
  }

  /** Sends a message if the channel is up; health is re-sent on change, so a dropped one is not lost for long. */
  send(message: AgentMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(encodeDoc(message));
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.ws?.terminate();
  }

  private open(): void {
    const url = new URL(connectPath, this.opts.server);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("containerInstance", this.opts.containerInstanceArn);
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${this.opts.token}` } });
    this.ws = ws;
    ws.on("open", () => {
      this.backoffMs = 250;
      this.opts.logger.info("connected to the control plane");
      this.opts.onConnected?.();
    });
    ws.on("message", (data: Buffer) => {
      try {
        const message = decodeDoc<HubMessage>(data.toString("utf8"));
        if (message.type === "tasks") this.opts.onTasks(message.tasks);
      } catch (err) {
        this.opts.logger.error({ err }, "unreadable message from the control plane");
      }
    });
    ws.on("error", (err) => this.opts.logger.debug({ err }, "control plane channel error"));
    ws.on("close", () => {
      if (this.closed) return;
      this.opts.logger.warn({ retryInMs: this.backoffMs }, "lost the control plane; reconnecting");
      this.retry = setTimeout(() => this.open(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, 5000);
    });
  }
}
