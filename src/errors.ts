// The one error type every layer throws; the edge turns it into AWS's wire shape.
// Branch on `code`, never on message text.

export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 400,
    readonly retryable: boolean = false,
  ) {
    super(message);
    this.name = code;
  }
}

const named =
  (code: string, status = 400, retryable = false) =>
  (message: string): AwsError =>
    new AwsError(code, message, status, retryable);

/** One factory per AWS exception name Berth raises. */
export const errors = {
  // Protocol and authentication (shared by every JSON 1.1 service).
  serialization: named("SerializationException"),
  unknownOperation: named("UnknownOperationException"),
  missingAuthenticationToken: named("MissingAuthenticationTokenException"),
  incompleteSignature: named("IncompleteSignatureException"),
  invalidSignature: named("InvalidSignatureException"),
  unrecognizedClient: named("UnrecognizedClientException"),
  accessDenied: named("AccessDeniedException"),
  throttling: named("ThrottlingException", 400, true),
  requestEntityTooLarge: named("RequestEntityTooLargeException", 413),
  // ECS.
  client: named("ClientException"),
  invalidParameter: named("InvalidParameterException"),
  server: named("ServerException", 500, true),
  clusterNotFound: named("ClusterNotFoundException"),
  clusterContainsContainerInstances: named("ClusterContainsContainerInstancesException"),
  clusterContainsServices: named("ClusterContainsServicesException"),
  clusterContainsTasks: named("ClusterContainsTasksException"),
  clusterContainsCapacityProvider: named("ClusterContainsCapacityProviderException"),
  resourceNotFound: named("ResourceNotFoundException"),
  resourceInUse: named("ResourceInUseException"),
  unsupportedFeature: named("UnsupportedFeatureException"),
  limitExceeded: named("LimitExceededException"),
  updateInProgress: named("UpdateInProgressException"),
  attributeLimitExceeded: named("AttributeLimitExceededException"),
  targetNotFound: named("TargetNotFoundException"),
} as const;
