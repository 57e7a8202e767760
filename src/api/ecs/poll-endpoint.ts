// DiscoverPollEndpoint: where an agent polls for its work. ECS answers with its
// agent communication and telemetry hosts; a Berth agent reaches both channels on
// this Berth's own endpoint (the WebSocket at the agent connect path carries the
// tasks one way and health the other), so both are that endpoint.

import type { EcsHandlers } from "./handler-dependencies.js";

/** `endpoint`: this Berth's URL as clients reach it, known once the edge listens. */
export function pollEndpointHandlers(endpoint: () => string): Pick<EcsHandlers, "DiscoverPollEndpoint"> {
  return {
    // Service Connect is not served, so no serviceConnectEndpoint is given (the model makes it optional).
    DiscoverPollEndpoint: () => Promise.resolve({ endpoint: endpoint(), telemetryEndpoint: endpoint() }),
  };
}
