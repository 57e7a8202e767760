// CloudWatch Logs' exception names and the messages AWS sends with them. The
// edge turns each AwsError into {"__type", "message"}; branch on the code.

import { AwsError } from "../../errors.js";

const named =
  (code: string, status = 400, retryable = false) =>
  (message: string): AwsError =>
    new AwsError(code, message, status, retryable);

export const logsErrors = {
  resourceNotFound: named("ResourceNotFoundException"),
  resourceAlreadyExists: named("ResourceAlreadyExistsException"),
  invalidParameter: named("InvalidParameterException"),
  invalidOperation: named("InvalidOperationException"),
  validation: named("ValidationException"),
  tooManyTags: named("TooManyTagsException"),
  malformedQuery: named("MalformedQueryException"),
} as const;

export const noGroup = (): AwsError => logsErrors.resourceNotFound("The specified log group does not exist.");
export const noStream = (): AwsError => logsErrors.resourceNotFound("The specified log stream does not exist.");
export const invalidToken = (): AwsError => logsErrors.invalidParameter("The specified nextToken is invalid.");
