"""What a gateway step costs, each beside the plain Lambda proxy route of its API kind, same
`lamina up`, same function work, measured in turns in one run:

* REST: a route whose integration runs a request and a response mapping template (VTL, Lambda
  non-proxy); a route guarded by a cached Lambda TOKEN authorizer, an API key and a usage plan
  (with its throttle and quota);
* HTTP API: a route guarded by a JWT authorizer (keys from a ``LAMINA_JWKS`` file, one RS256
  token sent on every call), and, to split its cost, the plain route sent the same token
  unchecked (the token's bytes: a larger request to parse and a larger event to send).

    apt-get install -y wrk   # once
    python benchmarks/gateway_steps.py [--seconds 3] [--rounds 5] [--connections 32]

The routes are interleaved in several short rounds against one ``lamina up`` (each round in a
rotated order, so no route always follows the same one). For each route it prints the median
requests/s (wrk ``-t1``, keep-alive) and the median CPU the gateway's process spent per request
(user + system time from ``/proc/PID/stat`` before and after each run, divided by the requests
wrk completed: the functions run in other processes). For each step it prints two costs against
its plain route: the median over rounds of the throughput ratio measured in the same round
(plain requests/s / step requests/s), and the ratio of the CPU per request. The CPU figure is
much less sensitive to other load on the machine than requests/s. The issue's targets: VTL at
most 1.5x, cached authorizer + key + plan 1.3x, JWT 1.2x, at -c32. The figures are indicative.

Where the JWT route's time goes: the token's signature (RSA verify, ~50 us) is checked once, the
first time the token comes; the route's step then remembers the token with its ``exp``, ``nbf``,
scopes and the event's claims block, so a repeat costs a lookup and three comparisons, about
1 us in process (it was about 5.5 us while each call still re-checked issuer and audience,
awaited the keys and rebuilt the claims block), against about 120 us of gateway CPU for the
whole request. The lines "of which" split the route's cost against the plain one: the token's
bytes, and the check itself (measured at 1.00-1.05x CPU, was 1.13-1.17x; loaded machine).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from gateway import free_port, wait_for, wrk


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` so far (its threads included, children not)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command's closing parenthesis: utime and stime are the 12th and 13th fields.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_status(port: int, path: str, headers: tuple[str, ...] = ()) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        sent = dict(h.split(": ", 1) for h in headers)
        connection.request("GET", path, headers=sent)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.11, CodeUri: src/, Timeout: 10, MemorySize: 256}
Resources:
  Proxy:
    Type: AWS::Serverless::Function
    Properties: {Handler: ping.proxy}
  Mapped:
    Type: AWS::Serverless::Function
    Properties: {Handler: ping.mapped}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: b
      DefinitionBody:
        openapi: "3.0.1"
        info: {title: bench, version: "1"}
        paths:
          /proxy:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Proxy.Arn}/invocations"
          /vtl/{id}:
            get:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Mapped.Arn}/invocations"
                requestTemplates:
                  application/json: '{"id": "$input.params(''id'')", "agent": "$util.escapeJavaScript($input.params(''User-Agent''))", "stage": "$context.stage"}'
                responses:
                  default:
                    statusCode: "200"
                    responseTemplates:
                      application/json: '#set($r = $input.path(''$''))
                        {"message": "$r.message", "id": "$r.id"}'
  Authorize:
    Type: AWS::Serverless::Function
    Properties: {Handler: ping.authorize}
  Guarded:
    Type: AWS::Serverless::Api
    Properties:
      StageName: g
      Auth:
        ApiKeyRequired: true
        DefaultAuthorizer: Token
        Authorizers:
          Token:
            FunctionArn: !GetAtt Authorize.Arn
            Identity: {Header: Authorization, ReauthorizeEvery: 300}
        UsagePlan:
          CreateUsagePlan: PER_API
          Quota: {Limit: 100000000, Period: DAY}
          Throttle: {BurstLimit: 1000000, RateLimit: 1000000}
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties: {Name: bench, Value: bench-key-0123456789abcdef, Enabled: true}
  KeyInPlan:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {KeyId: !Ref Key, KeyType: API_KEY, UsagePlanId: !Ref GuardedUsagePlan}
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        Authorizers:
          Jwt:
            JwtConfiguration: {issuer: "https://issuer.example", audience: [bench]}
            IdentitySource: $request.header.Authorization
  Edge:
    Type: AWS::Serverless::Function
    Properties:
      Handler: ping.proxy
      Events:
        Guarded: {Type: Api, Properties: {RestApiId: !Ref Guarded, Path: /guarded, Method: get}}
        Plain: {Type: HttpApi, Properties: {ApiId: !Ref Http, Path: /plain, Method: get}}
        Jwt:
          Type: HttpApi
          Properties: {ApiId: !Ref Http, Path: /jwt, Method: get, Auth: {Authorizer: Jwt}}
"""
FUNCTIONS = """
def proxy(event, context):
    return {"statusCode": 200, "body": "hello"}


def mapped(event, context):
    return {"message": "hello", "id": event["id"]}


def authorize(event, context):
    return {
        "principalId": "bench",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}],
        },
    }
"""


def jwks_and_token(path: Path) -> str:
    """A signing key's JWKS written to ``path`` (for ``LAMINA_JWKS``) and a token it signed."""
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048, private=True, parameters={"kid": "k1"})
    issuer = "https://issuer.example"
    path.write_text(json.dumps({issuer: {"keys": [key.as_dict(private=False)]}}))
    claims = {"iss": issuer, "aud": "bench", "sub": "u", "exp": int(time.time()) + 3600}
    return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=3, help="duration of each wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="turns of every route")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "app"
        (app / "src").mkdir(parents=True)
        (app / "src" / "ping.py").write_text(textwrap.dedent(FUNCTIONS))
        (app / "template.yaml").write_text(TEMPLATE)
        port, services_port = free_port(), free_port()
        command = [sys.executable, "-m", "lamina", "up", str(app), "--port", str(port)]
        command += ["--services-port", str(services_port), "--no-watch", "--no-function-logs"]
        command += ["--state-dir", str(Path(tmp) / "state")]
        token = jwks_and_token(Path(tmp) / "jwks.json")
        env = {**os.environ, "LAMINA_JWKS": str(Path(tmp) / "jwks.json")}
        server = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        guarded = ("Authorization: allow", "x-api-key: bench-key-0123456789abcdef")
        routes: dict[str, tuple[str, tuple[str, ...]]] = {
            "proxy": ("/b/proxy", ()),
            "vtl": ("/b/vtl/7", ()),
            "guarded": ("/g/guarded", guarded),
            "plain": ("/plain", ()),
            "jwt": ("/jwt", (f"Authorization: Bearer {token}",)),
            "bearer": ("/plain", (f"Authorization: Bearer {token}",)),
        }
        try:
            wait_for("127.0.0.1", services_port, "/_lamina/health")
            for path, headers in routes.values():
                wait_for("127.0.0.1", port, "/b/proxy")
                if first_status(port, path, headers) != 200:
                    raise RuntimeError(f"{path} does not answer 200: the comparison would be void")
                wrk(port, path, args.connections, 2, headers)  # warm-up
            rates: dict[str, list[float]] = {name: [] for name in routes}
            cpu: dict[str, list[float]] = {name: [] for name in routes}
            names = list(routes)
            for turn in range(args.rounds):
                for name in names[turn % len(names) :] + names[: turn % len(names)]:
                    path, headers = routes[name]
                    before = cpu_seconds(server.pid)
                    rate, _, _, done = wrk(port, path, args.connections, args.seconds, headers)
                    used = cpu_seconds(server.pid) - before
                    rates[name].append(rate)
                    cpu[name].append(used / max(done, 1) * 1e6)
            for path, headers in routes.values():
                if first_status(port, path, headers) != 200:
                    raise RuntimeError(f"{path} stopped answering 200 (throttled?): void")
        finally:
            server.terminate()
            server.wait(30)
    report(rates, cpu, args.rounds, args.connections)


LABELS = {
    "proxy": "REST Lambda proxy",
    "vtl": "REST VTL request+response",
    "guarded": "REST authorizer (cached) + key + plan",
    "plain": "HTTP API Lambda proxy",
    "jwt": "HTTP API JWT authorizer",
    "bearer": "HTTP API proxy, same token unchecked",
}
# (step, its plain route, the target ratio)
STEPS = (("vtl", "proxy", 1.5), ("guarded", "proxy", 1.3), ("jwt", "plain", 1.2))
# (what, against what, label): splits the JWT route's cost into the token's bytes and the check.
PARTS = (
    ("bearer", "plain", "the token's bytes alone"),
    ("jwt", "bearer", "the JWT check alone"),
)


def report(
    rates: dict[str, list[float]], cpu: dict[str, list[float]], rounds: int, connections: int
) -> None:
    median = statistics.median
    print(
        f"{'route':<40}{'requests/s':>12}{'CPU us/req':>12}   (medians of {rounds} rounds, -c{connections})"
    )
    for name, label in LABELS.items():
        print(f"{label:<40}{median(rates[name]):>12.0f}{median(cpu[name]):>12.0f}")
    print()
    print(f"{'step (against its plain route)':<40}{'throughput':>12}{'CPU/req':>12}{'target':>8}")

    def ratios(name: str, plain: str) -> str:
        # Each round's ratio compares runs made moments apart: drift of the machine cancels.
        ratio = median(p / s for p, s in zip(rates[plain], rates[name], strict=True))
        cpu_ratio = median(cpu[name]) / median(cpu[plain])
        return f"{ratio:>11.2f}x{cpu_ratio:>11.2f}x"

    for name, plain, target in STEPS:
        print(f"{LABELS[name]:<40}{ratios(name, plain)}{target:>7.1f}x")
    for name, plain, label in PARTS:
        print(f"{'  of which ' + label:<40}{ratios(name, plain)}")
    print("indicative: one machine, one run; the CPU ratio is the steadier of the two")


if __name__ == "__main__":
    main()
