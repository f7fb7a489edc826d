import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** How many availability zones the stack spans. */
export const ZONE_COUNT = 2;

/**
 * A small VPC with one public subnet in each of two availability zones (the region's first two
 * that need no opt-in) and a route to the internet gateway. Public subnets keep the stack free of
 * NAT gateways: the instances accept traffic from the load balancer only (security groups) and
 * reach AWS APIs, the app's git host and nodejs.org over the internet gateway.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpc: aws.ec2.Vpc;
  readonly publicSubnets: aws.ec2.Subnet[];

  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super('delta-augment:network:Network', name, {}, opts);
    const zones = aws.getAvailabilityZonesOutput(
      { state: 'available', filters: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }] },
      { parent: this },
    );
    this.vpc = new aws.ec2.Vpc(
      name,
      { cidrBlock: '10.20.0.0/16', enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: name } },
      { parent: this },
    );
    const gateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: this.vpc.id }, { parent: this });
    const routes = new aws.ec2.RouteTable(
      `${name}-public`,
      { vpcId: this.vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: gateway.id }] },
      { parent: this },
    );
    this.publicSubnets = Array.from({ length: ZONE_COUNT }, (_, i) => {
      const subnet = new aws.ec2.Subnet(
        `${name}-public-${i}`,
        {
          vpcId: this.vpc.id,
          cidrBlock: `10.20.${i}.0/24`,
          availabilityZone: zones.names.apply((names) => {
            const zone = names[i];
            if (!zone) throw new pulumi.RunError(`the region has fewer than ${ZONE_COUNT} availability zones`);
            return zone;
          }),
          mapPublicIpOnLaunch: true,
          tags: { Name: `${name}-public-${i}` },
        },
        { parent: this },
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-public-${i}`,
        { subnetId: subnet.id, routeTableId: routes.id },
        { parent: this },
      );
      return subnet;
    });
    this.registerOutputs({ vpcId: this.vpc.id });
  }
}
