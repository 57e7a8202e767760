// The query codec against botocore's own serializer and parser: what botocore
// sends decodes to the input it was given, and what Berth answers parses back to
// the output it encoded.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { ApiModel } from "./api-model.js";
import { decodeQuery, encodeQueryError, encodeQueryResult } from "./query-codec.js";

const elbv2 = ApiModel.load("elbv2");

/** Runs botocore's query serializer or response parser for elbv2 over JSON cases. */
function botocore(mode: "serialize" | "parse", cases: unknown): unknown {
  const program = `
import botocore.session, json, sys, datetime
from botocore.serialize import create_serializer
from botocore.parsers import create_parser
model = botocore.session.get_session().get_service_model("elbv2")
out = []
for case in json.load(sys.stdin):
    op = model.operation_model(case["operation"])
    if "${mode}" == "serialize":
        out.append(create_serializer("query").serialize_to_request(case["params"], op)["body"])
    else:
        r = create_parser("query").parse({"body": case["xml"].encode(), "headers": {}, "status_code": case["status"]}, op.output_shape)
        r.pop("ResponseMetadata", None)
        out.append(r)
print(json.dumps(out, default=lambda o: o.isoformat() if isinstance(o, datetime.datetime) else str(o)))
`;
  return JSON.parse(execFileSync("python3", ["-c", program], { input: JSON.stringify(cases) }).toString("utf8"));
}

describe("query codec", () => {
  it("decodes what botocore serializes: nested lists of structures, empty lists, integers, booleans", () => {
    const cases = [
      {
        operation: "CreateLoadBalancer",
        params: { Name: "web", Subnets: ["subnet-1", "subnet-2"], Tags: [{ Key: "env", Value: "dev" }, { Key: "team" }], Scheme: "internal" },
      },
      {
        operation: "CreateTargetGroup",
        params: { Name: "tg", Port: 8080, HealthCheckEnabled: false, HealthCheckIntervalSeconds: 10, Matcher: { HttpCode: "200-299" } },
      },
      {
        operation: "CreateRule",
        params: {
          ListenerArn: "arn:l",
          Priority: 5,
          Conditions: [{ Field: "path-pattern", PathPatternConfig: { Values: ["/api/*", "/v2/*"] } }],
          Actions: [{ Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: "arn:a", Weight: 90 }, { TargetGroupArn: "arn:b", Weight: 10 }] } }],
        },
      },
      { operation: "DescribeLoadBalancers", params: { Names: [] } },
    ];
    const bodies = botocore("serialize", cases) as Record<string, string>[];
    cases.forEach((c, i) => {
      const params = new URLSearchParams(bodies[i]);
      assert.equal(params.get("Action"), c.operation);
      assert.deepEqual(decodeQuery(elbv2, c.operation, params), c.params);
    });
  });

  it("keeps text that does not fit its shape as text, so the model's check reports it", () => {
    const decoded = decodeQuery(elbv2, "CreateTargetGroup", new URLSearchParams("Name=tg&Port=eighty&HealthCheckEnabled=yes"));
    assert.deepEqual(decoded, { Name: "tg", Port: "eighty", HealthCheckEnabled: "yes" });
    assert.throws(() => elbv2.parseInput("CreateTargetGroup", decoded), /Expected an integer at 'Port'/);
  });

  it("encodes answers botocore parses back to the same output: result wrapper, lists, timestamps, XML escapes", () => {
    const output = {
      LoadBalancers: [
        {
          LoadBalancerArn: "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/1",
          DNSName: "web-1.us-east-1.elb.localhost",
          CreatedTime: new Date("2026-01-02T03:04:05.678Z"),
          State: { Code: "active" },
          AvailabilityZones: [{ ZoneName: "us-east-1a", SubnetId: "subnet-1" }],
          SecurityGroups: [],
          IpAddressType: "ipv4",
          LoadBalancerName: "a<b>&'\"",
        },
      ],
    };
    const xml = encodeQueryResult(elbv2, "DescribeLoadBalancers", output, "req-1");
    assert.match(xml, /^<DescribeLoadBalancersResponse xmlns="http:\/\/elasticloadbalancing.amazonaws.com\/doc\/2015-12-01\/"><DescribeLoadBalancersResult>/);
    assert.match(xml, /<ResponseMetadata><RequestId>req-1<\/RequestId><\/ResponseMetadata><\/DescribeLoadBalancersResponse>$/);
    const [parsed] = botocore("parse", [{ operation: "DescribeLoadBalancers", xml, status: 200 }]) as unknown[];
    assert.deepEqual(parsed, {
      LoadBalancers: [{ ...output.LoadBalancers[0], CreatedTime: "2026-01-02T03:04:05.678000+00:00" }],
    });
  });

  it("names a modelled error by its query code, and a shared one by the query protocol's name", () => {
    const notFound = encodeQueryError(elbv2, { code: "LoadBalancerNotFoundException", status: 400, message: "One or more load balancers not found" }, "r");
    assert.match(notFound, /<Error><Type>Sender<\/Type><Code>LoadBalancerNotFound<\/Code><Message>One or more load balancers not found<\/Message><\/Error><RequestId>r<\/RequestId>/);
    assert.match(encodeQueryError(elbv2, { code: "InvalidParameterException", status: 400, message: "m" }, "r"), /<Code>ValidationError<\/Code>/);
    assert.match(encodeQueryError(elbv2, { code: "ServerException", status: 500, message: "m" }, "r"), /<Type>Receiver<\/Type><Code>InternalFailure<\/Code>/);
  });
});
