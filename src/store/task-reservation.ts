// What a task holds on its instance (cpu, memory, host ports, awsvpc address) and the
// group it counts toward, read from the task document. The store keeps it beside each task row, written in the
// same statement as the task, so placement reads reservations without decoding tasks.

import type { Task } from "../model/generated/ecs.js";

/** What one task holds on its instance. */
export interface Reservation {
  readonly cpu: number;
  readonly memory: number;
  readonly tcpPorts: readonly number[];
  readonly udpPorts: readonly number[];
  readonly address?: string | undefined;
  /** The task's group ("service:web", "family:x"): what spread, distinctInstance and task:group count. */
  readonly group?: string | undefined;
}

/** A live task's hold on its instance, read from the task itself. */
export function reservationOf(task: Task): Reservation {
  const bindings = (task.containers ?? []).flatMap((c) => c.networkBindings ?? []);
  const ports = (protocol: string): number[] =>
    bindings.filter((b) => (b.protocol ?? "tcp") === protocol && b.hostPort !== undefined).map((b) => b.hostPort!);
  const eni = task.attachments?.find((a) => a.type === "ElasticNetworkInterface");
  const address = eni?.details?.find((d) => d.name === "privateIPv4Address")?.value;
  return {
    cpu: Number(task.cpu ?? 0),
    memory: Number(task.memory ?? 0),
    tcpPorts: ports("tcp"),
    udpPorts: ports("udp"),
    ...(address ? { address } : {}),
    ...(task.group ? { group: task.group } : {}),
  };
}
