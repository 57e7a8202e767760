// A task definition ARN's parts, read where only the ARN is at hand: the store's
// task rows (their family column) and the controllers (the revision to fetch, in its region).

/** The region, family and revision a task definition ARN names; undefined for anything else. */
export function revisionOfArn(arn: string): { readonly region: string; readonly family: string; readonly revision: number } | undefined {
  const m = /^arn:aws:ecs:([^:]+):[^:]*:task-definition\/([^:]+):(\d+)$/.exec(arn);
  const region = m?.[1];
  const family = m?.[2];
  const revision = m?.[3];
  return region === undefined || family === undefined || revision === undefined ? undefined : { region, family, revision: Number(revision) };
}
