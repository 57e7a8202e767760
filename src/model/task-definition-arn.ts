// A task definition ARN's parts, read where only the ARN is at hand: the store's
// task rows (their family column) and the controllers (the revision to fetch).

/** The family and revision a task definition ARN names; undefined for anything else. */
export function revisionOfArn(arn: string): { readonly family: string; readonly revision: number } | undefined {
  const m = /task-definition\/([^:]+):(\d+)$/.exec(arn);
  const family = m?.[1];
  const revision = m?.[2];
  return family === undefined || revision === undefined ? undefined : { family, revision: Number(revision) };
}
