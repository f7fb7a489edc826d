import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** The port the gateway listens on inside each instance (the app's `PORT`). */
export const APP_PORT = 8080;

/**
 * The load balancer closes a connection idle for this long. It must stay below the app's keep-alive
 * (`KEEP_ALIVE_TIMEOUT_SECONDS`, 75 s), so that the app never closes a connection the load balancer is
 * about to reuse (AWS documents that race as a cause of 502s), and above the notifier's WebSocket ping
 * interval (30 s), so that quiet `/ws` connections stay open.
 */
export const IDLE_TIMEOUT_SECONDS = 60;

/** The header CloudFront adds to every origin request; the listener forwards only requests that carry it. */
export const ORIGIN_HEADER = 'X-Origin-Verify';

/** Shallow liveness probe for the target group (and so the auto-scaling group): no dependency calls. */
export const HEALTH_CHECK_PATH = '/healthz';

export interface LoadBalancerArgs {
  readonly vpc: aws.ec2.Vpc;
  /** Private subnets (no internet route): the load balancer is internal. */
  readonly subnets: readonly aws.ec2.Subnet[];
  /** The secret value of {@link ORIGIN_HEADER}. */
  readonly originSecret: pulumi.Input<string>;
  /** Adds an HTTPS listener (CloudFront then reaches the origin over HTTPS) when given. */
  readonly certificateArn?: string;
}

/**
 * The Application Load Balancer in front of the gateway instances: internal, in the private subnets,
 * reached only by CloudFront through a VPC origin. Its security group admits the listener port from
 * the private subnets only (where CloudFront's VPC-origin network interfaces live), and the listener
 * answers 403 to any request without the secret origin header, so a request that did not pass the
 * CDN (and its WAF) never reaches the app. ALBs carry WebSockets natively. The target group checks
 * the shallow `/healthz` (a dependency outage must not make the auto-scaling group replace the whole
 * fleet) and has no stickiness (the API is stateless; the notifier resumes by `seq`).
 */
export class LoadBalancer extends pulumi.ComponentResource {
  readonly alb: aws.lb.LoadBalancer;
  readonly targetGroup: aws.lb.TargetGroup;
  /** Instances admit the app port from this group only. */
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly listener: aws.lb.Listener;
  /** The port and protocol CloudFront uses to reach the listener. */
  readonly originPort: number;
  readonly originProtocol: 'http-only' | 'https-only';

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('delta-augment:gateway:LoadBalancer', name, {}, opts);
    const https = args.certificateArn !== undefined;
    this.originPort = https ? 443 : 80;
    this.originProtocol = https ? 'https-only' : 'http-only';
    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpc.id,
        description: 'Delta Augment internal load balancer: CloudFront VPC origin only',
        ingress: [
          {
            protocol: 'tcp',
            fromPort: this.originPort,
            toPort: this.originPort,
            cidrBlocks: args.subnets.map((subnet) => subnet.cidrBlock),
            description: 'CloudFront VPC origin (its network interfaces sit in these private subnets)',
          },
        ],
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
        internal: true,
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
          path: HEALTH_CHECK_PATH,
          matcher: '200',
          protocol: 'HTTP',
          interval: 15,
          timeout: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        },
        stickiness: { enabled: false, type: 'lb_cookie' },
      },
      { parent: this },
    );
    this.listener = new aws.lb.Listener(
      `${name}-${https ? 'https' : 'http'}`,
      {
        loadBalancerArn: this.alb.arn,
        port: this.originPort,
        protocol: https ? 'HTTPS' : 'HTTP',
        ...(https ? { sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06', certificateArn: args.certificateArn } : {}),
        defaultActions: [
          {
            type: 'fixed-response',
            fixedResponse: { contentType: 'text/plain', statusCode: '403', messageBody: 'Forbidden' },
          },
        ],
      },
      { parent: this },
    );
    new aws.lb.ListenerRule(
      `${name}-from-cdn`,
      {
        listenerArn: this.listener.arn,
        priority: 1,
        conditions: [{ httpHeader: { httpHeaderName: ORIGIN_HEADER, values: [args.originSecret] } }],
        actions: [{ type: 'forward', targetGroupArn: this.targetGroup.arn }],
      },
      { parent: this },
    );
    this.registerOutputs({ dnsName: this.alb.dnsName });
  }
}
