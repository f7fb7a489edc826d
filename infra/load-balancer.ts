import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** The port the gateway listens on inside each instance (the app's `PORT`). */
export const APP_PORT = 8080;

/** WebSocket connections stay open through the load balancer for up to an hour of silence. */
export const IDLE_TIMEOUT_SECONDS = 3600;

export interface LoadBalancerArgs {
  readonly vpc: aws.ec2.Vpc;
  readonly subnets: readonly aws.ec2.Subnet[];
  /** Adds an HTTPS listener (for a custom domain pointed at the ALB) when given. */
  readonly certificateArn?: string;
}

/**
 * The Application Load Balancer in front of the gateway instances, in both public subnets. ALBs
 * carry WebSockets natively (HTTP/1.1 Upgrade); the idle timeout is raised to an hour so quiet
 * `/ws` connections survive, and lb-cookie stickiness keeps a browser's reconnects on one instance.
 * The target group's health check is the app's readiness probe, `GET /readyz` (200 when its stores
 * answer), so an instance that cannot reach S3/SQS/DynamoDB receives no traffic.
 */
export class LoadBalancer extends pulumi.ComponentResource {
  readonly alb: aws.lb.LoadBalancer;
  readonly targetGroup: aws.lb.TargetGroup;
  /** Instances admit the app port from this group only. */
  readonly securityGroup: aws.ec2.SecurityGroup;
  /** `http://<ALB DNS name>` (HTTPS needs a custom domain matching `certificateArn`). */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('delta-augment:gateway:LoadBalancer', name, {}, opts);
    const listenPorts = args.certificateArn ? [80, 443] : [80];
    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpc.id,
        description: 'Delta Augment load balancer: HTTP(S) from anywhere, to the app port inside the VPC',
        ingress: listenPorts.map((port) => ({
          protocol: 'tcp',
          fromPort: port,
          toPort: port,
          cidrBlocks: ['0.0.0.0/0'],
          description: `HTTP${port === 443 ? 'S' : ''} from clients`,
        })),
        egress: [
          {
            protocol: 'tcp',
            fromPort: APP_PORT,
            toPort: APP_PORT,
            cidrBlocks: [args.vpc.cidrBlock],
            description: 'to the gateway instances',
          },
        ],
      },
      { parent: this },
    );
    this.alb = new aws.lb.LoadBalancer(
      name,
      {
        loadBalancerType: 'application',
        subnets: args.subnets.map((subnet) => subnet.id),
        securityGroups: [this.securityGroup.id],
        idleTimeout: IDLE_TIMEOUT_SECONDS,
        dropInvalidHeaderFields: true,
        enableHttp2: true,
      },
      { parent: this },
    );
    this.targetGroup = new aws.lb.TargetGroup(
      `${name}-gateway`,
      {
        vpcId: args.vpc.id,
        port: APP_PORT,
        protocol: 'HTTP',
        targetType: 'instance',
        deregistrationDelay: 60,
        healthCheck: {
          enabled: true,
          path: '/readyz',
          matcher: '200',
          protocol: 'HTTP',
          interval: 15,
          timeout: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        },
        stickiness: { enabled: true, type: 'lb_cookie', cookieDuration: 86_400 },
      },
      { parent: this },
    );
    const forward = [{ type: 'forward', targetGroupArn: this.targetGroup.arn }];
    // Port 80 always forwards: CloudFront reaches the ALB over HTTP (an ALB's own DNS name matches
    // no certificate), and clients without a custom domain use it directly.
    new aws.lb.Listener(
      `${name}-http`,
      { loadBalancerArn: this.alb.arn, port: 80, protocol: 'HTTP', defaultActions: forward },
      { parent: this },
    );
    if (args.certificateArn) {
      new aws.lb.Listener(
        `${name}-https`,
        {
          loadBalancerArn: this.alb.arn,
          port: 443,
          protocol: 'HTTPS',
          sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
          certificateArn: args.certificateArn,
          defaultActions: forward,
        },
        { parent: this },
      );
    }
    this.url = pulumi.interpolate`http://${this.alb.dnsName}`;
    this.registerOutputs({ url: this.url });
  }
}
