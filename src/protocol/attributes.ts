// Container instance attributes an agent registers and the control plane places by.

/** One per launch type the host's capacity serves: berth.launch-type.EC2, …FARGATE, …EXTERNAL. */
export const launchTypeAttributePrefix = "berth.launch-type.";
/** The CIDR of the host's awsvpc network, from which the control plane picks task IPs. */
export const awsvpcSubnetAttribute = "berth.awsvpc-subnet";
