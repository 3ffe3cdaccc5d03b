"""What a gateway step costs: a REST route whose integration runs a request and a response
mapping template (VTL, Lambda non-proxy) beside the plain Lambda proxy route, same `lamina up`,
same function work, measured in turns in one run.

    apt-get install -y wrk   # once
    python benchmarks/gateway_steps.py [--seconds 5] [--rounds 3] [--connections 32]

Prints requests/s of each route (wrk ``-t1``, keep-alive; the medians of --rounds turns) and
the VTL route's cost as a ratio of the proxy route's (proxy requests/s / VTL requests/s). The
issue's target: at most 1.5x. The figure is indicative on a shared machine: both routes are
measured in the same run, in turns, so the machine's drift mostly cancels out.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from gateway import free_port, wait_for, wrk


def first_status(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
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
"""
FUNCTIONS = """
def proxy(event, context):
    return {"statusCode": 200, "body": "hello"}


def mapped(event, context):
    return {"message": "hello", "id": event["id"]}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="duration of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="turns of proxy then VTL")
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
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for("127.0.0.1", services_port, "/_lamina/health")
            routes = {"proxy": "/b/proxy", "vtl": "/b/vtl/7"}
            for path in routes.values():
                wait_for("127.0.0.1", port, path)
                if first_status(port, path) != 200:
                    raise RuntimeError(f"{path} does not answer 200: the comparison would be void")
                wrk(port, path, args.connections, 2)  # warm-up: environments, connections
            rates: dict[str, list[float]] = {name: [] for name in routes}
            for _ in range(args.rounds):
                for name, path in routes.items():
                    rates[name].append(wrk(port, path, args.connections, args.seconds)[0])
        finally:
            server.terminate()
            server.wait(30)
    proxy, vtl = statistics.median(rates["proxy"]), statistics.median(rates["vtl"])
    print(f"{'route':<28}{'requests/s':>12}   (median of {args.rounds}, -c{args.connections})")
    print(f"{'REST Lambda proxy':<28}{proxy:>12.0f}")
    print(f"{'REST VTL request+response':<28}{vtl:>12.0f}")
    print(f"VTL route cost: {proxy / vtl:.2f}x the proxy route (target <= 1.5x; indicative)")


if __name__ == "__main__":
    main()
