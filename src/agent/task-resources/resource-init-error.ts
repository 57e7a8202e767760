// The error a task resource throws when it cannot be provided: ECS reports it as
// ResourceInitializationError, whatever the action that needed the resource.

export class ResourceInitError extends Error {
  override readonly name = "ResourceInitError";
}
