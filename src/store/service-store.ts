// Services, their deployments and events, as one transaction sees them.

export interface ServiceTx {
  /** Services in the cluster whose status is ACTIVE (what DescribeClusters counts). */
  countActiveServices(clusterArn: string): Promise<number>;
}
