import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** How many availability zones the stack spans. */
export const ZONE_COUNT = 2;

/**
 * A small VPC over two availability zones (the region's first two that need no opt-in):
 * - public subnets, routed to the internet gateway, for the gateway instances (their security group
 *   admits the load balancer only; they reach AWS APIs without a NAT gateway's hourly cost);
 * - private subnets, with no route to the internet, for the internal load balancer that only the
 *   CDN reaches (CloudFront VPC origin; VPC origins require the VPC to have an internet gateway);
 * - free gateway endpoints for S3 and DynamoDB on both route tables, so bucket, table and Amazon
 *   Linux repository traffic stays on the AWS network and costs no internet egress.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpc: aws.ec2.Vpc;
  readonly publicSubnets: aws.ec2.Subnet[];
  readonly privateSubnets: aws.ec2.Subnet[];
  readonly gatewayEndpoints: aws.ec2.VpcEndpoint[];

  constructor(name: string, args: { region: pulumi.Input<string> }, opts?: pulumi.ComponentResourceOptions) {
    super('delta-augment:network:Network', name, {}, opts);
    const zones = aws.getAvailabilityZonesOutput(
      { state: 'available', filters: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }] },
      { parent: this },
    );
    const zone = (i: number) =>
      zones.names.apply((names) => {
        const found = names[i];
        if (!found) throw new pulumi.RunError(`the region has fewer than ${ZONE_COUNT} availability zones`);
        return found;
      });
    this.vpc = new aws.ec2.Vpc(
      name,
      { cidrBlock: '10.20.0.0/16', enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: name } },
      { parent: this },
    );
    const gateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: this.vpc.id }, { parent: this });
    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public`,
      { vpcId: this.vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: gateway.id }] },
      { parent: this },
    );
    const privateRoutes = new aws.ec2.RouteTable(`${name}-private`, { vpcId: this.vpc.id }, { parent: this });
    const subnets = (kind: 'public' | 'private', routes: aws.ec2.RouteTable, offset: number) =>
      Array.from({ length: ZONE_COUNT }, (_, i) => {
        const subnet = new aws.ec2.Subnet(
          `${name}-${kind}-${i}`,
          {
            vpcId: this.vpc.id,
            cidrBlock: `10.20.${offset + i}.0/24`,
            availabilityZone: zone(i),
            mapPublicIpOnLaunch: kind === 'public',
            tags: { Name: `${name}-${kind}-${i}` },
          },
          { parent: this },
        );
        new aws.ec2.RouteTableAssociation(
          `${name}-${kind}-${i}`,
          { subnetId: subnet.id, routeTableId: routes.id },
          { parent: this },
        );
        return subnet;
      });
    this.publicSubnets = subnets('public', publicRoutes, 0);
    this.privateSubnets = subnets('private', privateRoutes, 10);
    this.gatewayEndpoints = (['s3', 'dynamodb'] as const).map(
      (service) =>
        new aws.ec2.VpcEndpoint(
          `${name}-${service}`,
          {
            vpcId: this.vpc.id,
            vpcEndpointType: 'Gateway',
            serviceName: pulumi.interpolate`com.amazonaws.${args.region}.${service}`,
            routeTableIds: [publicRoutes.id, privateRoutes.id],
          },
          { parent: this },
        ),
    );
    this.registerOutputs({ vpcId: this.vpc.id });
  }
}
