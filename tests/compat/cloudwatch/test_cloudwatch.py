"""CloudWatch against a real `lamina up`: boto3 (smithy-rpc-v2-cbor), the AWS CLI and a
query-protocol request put and read metrics; Lamina's own AWS/Lambda and AWS/ApiGateway metrics
and a powertools function's Embedded Metric Format lines read through the same API and
Prometheus' /metrics; alarms evaluated, their state changes on EventBridge and SNS."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.asyncinvoke.lamina_up import LaminaUp, wait_for

pytestmark = pytest.mark.slow
TEMPLATE = Path(__file__).parent / "app" / "template.yaml"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaminaUp]:
    up = LaminaUp(TEMPLATE, tmp_path_factory.mktemp("cloudwatch") / "state").start()
    yield up
    up.stop()


@pytest.fixture(scope="module")
def cw(server: LaminaUp) -> Any:
    return server.aws("cloudwatch")


def window(minutes: int = 10) -> dict[str, dt.datetime]:
    now = dt.datetime.now(dt.UTC)
    return {
        "StartTime": now - dt.timedelta(minutes=minutes),
        "EndTime": now + dt.timedelta(minutes=2),
    }


def api_url(server: LaminaUp) -> str:
    return server.log().split("APIs:")[1].split()[0]


def function_name(server: LaminaUp, logical_id: str) -> str:
    functions = server.aws("lambda").list_functions()["Functions"]
    return next(f["FunctionName"] for f in functions if logical_id in f["FunctionName"])


def fetch(request: urllib.request.Request | str) -> tuple[int, bytes]:
    """Status and body of an HTTP request, its connection closed."""
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


def error_code(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def total(points: list[dict[str, Any]], stat: str = "Sum") -> float:
    return float(sum(p[stat] for p in points))


def test_put_data_reads_back_as_statistics_and_percentiles(cw: Any) -> None:
    """Values/Counts, StatisticValues and single values of one metric add up per period;
    percentiles come from the values sent."""
    dims = [{"Name": "Shop", "Value": "north"}]
    cw.put_metric_data(
        Namespace="Test/Stats",
        MetricData=[
            {"MetricName": "Latency", "Dimensions": dims, "Unit": "Milliseconds",
             "Values": [10.0, 20.0, 100.0], "Counts": [5.0, 4.0, 1.0]},
            {"MetricName": "Latency", "Dimensions": dims, "Unit": "Milliseconds", "Value": 30.0},
            {"MetricName": "Latency", "Dimensions": dims, "Unit": "Milliseconds",
             "StatisticValues": {"SampleCount": 2, "Sum": 50, "Minimum": 5, "Maximum": 45}},
        ],
    )  # fmt: skip
    got = cw.get_metric_statistics(
        Namespace="Test/Stats", MetricName="Latency", Dimensions=dims, Period=3600,
        Statistics=["SampleCount", "Sum", "Minimum", "Maximum", "Average"], **window(),
    )["Datapoints"]  # fmt: skip
    assert total(got, "SampleCount") == 13
    assert total(got) == 5 * 10 + 4 * 20 + 100 + 30 + 50
    assert min(p["Minimum"] for p in got) == 5 and max(p["Maximum"] for p in got) == 100
    assert all(p["Unit"] == "Milliseconds" for p in got)
    p90 = cw.get_metric_statistics(
        Namespace="Test/Stats", MetricName="Latency", Dimensions=dims, Period=3600,
        ExtendedStatistics=["p50", "p99"], **window(),
    )["Datapoints"]  # fmt: skip
    assert [p["ExtendedStatistics"] for p in p90] == [{"p50": 20.0, "p99": 100.0}]


def test_bad_requests_get_cloudwatchs_errors(cw: Any) -> None:
    """AWS's codes and words: reserved namespaces, exclusive parameters, missing ones,
    unknown alarms; an operation Lamina lacks is named, in CBOR as boto3 reads it."""
    code, message = error_code(
        cw.put_metric_data, Namespace="AWS/Lambda", MetricData=[{"MetricName": "x", "Value": 1}]
    )
    assert (code, message) == (
        "InvalidParameterValue",
        "The value AWS/Lambda for parameter Namespace is invalid.",
    )
    code, _ = error_code(
        cw.put_metric_data,
        Namespace="Test/Bad",
        MetricData=[{"MetricName": "x", "Value": 1, "Values": [1.0]}],
    )
    assert code == "InvalidParameterCombination"
    code, _ = error_code(
        cw.get_metric_statistics, Namespace="Test/Bad", MetricName="x", Period=60, **window()
    )
    assert code == "MissingParameter"
    code, _ = error_code(
        cw.get_metric_statistics, Namespace="Test/Bad", MetricName="x", Period=60,
        Statistics=["Sum"], ExtendedStatistics=["p99"], **window(),
    )  # fmt: skip
    assert code == "InvalidParameterCombination"
    code, _ = error_code(
        cw.set_alarm_state, AlarmName="nope", StateValue="ALARM", StateReason="testing"
    )
    assert code == "ResourceNotFound"
    code, message = error_code(cw.list_dashboards)
    assert (code, message) == (
        "UnknownOperationException",
        "Lamina does not serve cloudwatch:ListDashboards yet.",
    )


def test_metric_math_sums_and_divides_and_names_what_it_lacks(cw: Any) -> None:
    """GetMetricData evaluates MetricStat queries, arithmetic and SUM over them; a function
    Lamina lacks is refused by name."""
    for name, value in (("Hits", 30.0), ("Misses", 10.0)):
        cw.put_metric_data(Namespace="Test/Math", MetricData=[{"MetricName": name, "Value": value}])

    def stat(id_: str, name: str) -> dict[str, Any]:
        metric = {"Namespace": "Test/Math", "MetricName": name}
        return {"Id": id_, "MetricStat": {"Metric": metric, "Period": 3600, "Stat": "Sum"},
                "ReturnData": False}  # fmt: skip

    queries = [
        stat("hits", "Hits"),
        stat("misses", "Misses"),
        {"Id": "ratio", "Expression": "100 * hits / (hits + misses)", "Label": "Hit rate"},
        {"Id": "all", "Expression": "SUM([hits, misses])"},
    ]
    results = {
        r["Id"]: r
        for r in cw.get_metric_data(MetricDataQueries=queries, **window())["MetricDataResults"]
    }
    assert results["ratio"]["Values"] == [75.0] and results["ratio"]["Label"] == "Hit rate"
    assert results["all"]["Values"] == [40.0]
    assert set(results) == {"ratio", "all"}
    code, message = error_code(
        cw.get_metric_data,
        MetricDataQueries=[
            stat("hits", "Hits"),
            {"Id": "a", "Expression": "ANOMALY_DETECTION_BAND(hits)"},
        ],
        **window(),
    )
    assert code == "InvalidParameterValue"
    assert "ANOMALY_DETECTION_BAND" in message


def test_lambdas_and_api_gateways_own_metrics(server: LaminaUp, cw: Any) -> None:
    """Requests through an HTTP API and a REST API, and their functions' invocations, are
    counted under AWS/ApiGateway and AWS/Lambda with AWS's metric and dimension names, and
    listed by ListMetrics."""
    url = api_url(server)
    for _ in range(3):
        assert fetch(urllib.request.Request(f"{url}/orders", data=b"{}"))[0] == 201
    assert fetch(f"{url}/Prod/fail")[0] == 502
    orders = function_name(server, "OrdersFunction")
    failing = function_name(server, "FailingFunction")

    def sum_of(namespace: str, name: str, dims: dict[str, str]) -> float:
        points = cw.get_metric_statistics(
            Namespace=namespace, MetricName=name, Period=60, Statistics=["Sum"],
            Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()], **window(),
        )["Datapoints"]  # fmt: skip
        return total(points)

    assert sum_of("AWS/Lambda", "Invocations", {"FunctionName": orders}) == 3
    assert sum_of("AWS/Lambda", "Errors", {"FunctionName": failing}) == 1
    assert sum_of("AWS/Lambda", "ColdStarts", {"FunctionName": orders}) == 1
    server.aws("lambda").invoke(FunctionName=failing, InvocationType="Event", Payload=b"{}")
    assert sum_of("AWS/Lambda", "AsyncEventsReceived", {"FunctionName": failing}) == 1
    listed = cw.list_metrics(Namespace="AWS/ApiGateway", MetricName="Count")["Metrics"]
    http_api = next(
        m["Dimensions"] for m in listed if [d["Name"] for d in m["Dimensions"]] == ["ApiId"]
    )
    assert sum_of("AWS/ApiGateway", "Count", {http_api[0]["Name"]: http_api[0]["Value"]}) == 3
    rest = {"ApiName": "app", "Stage": "Prod", "Resource": "/fail", "Method": "GET"}
    rest_names = {d["Value"] for m in listed for d in m["Dimensions"] if d["Name"] == "ApiName"}
    rest["ApiName"] = rest_names.pop()
    assert sum_of("AWS/ApiGateway", "5XXError", rest) == 1
    latency = cw.get_metric_statistics(
        Namespace="AWS/Lambda", MetricName="Duration", Period=60, ExtendedStatistics=["p99"],
        Dimensions=[{"Name": "FunctionName", "Value": orders}], **window(),
    )["Datapoints"]  # fmt: skip
    assert latency and all(p["ExtendedStatistics"]["p99"] > 0 for p in latency)


def test_prometheus_scrapes_metrics_unsigned_on_the_services_port(server: LaminaUp) -> None:
    """GET /metrics needs no signature and answers Prometheus text with the functions'
    counters (the Host and Origin checks that still apply: tests/unit/services/auth)."""
    name = function_name(server, "OrdersFunction")
    server.aws("lambda").invoke(FunctionName=name, Payload=b"{}")
    status, body = fetch(f"{server.endpoint}/metrics")
    assert status == 200
    text = body.decode()
    invocations = {
        sample.labels["function_name"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "aws_lambda_invocations_total"
    }
    assert invocations[name] >= 1


def test_powertools_metrics_become_cloudwatch_metrics(server: LaminaUp, cw: Any) -> None:
    """A function using aws-lambda-powertools' Metrics publishes its metrics in its namespace
    with its dimensions (service, Channel), read back with GetMetricStatistics."""
    name = function_name(server, "OrdersFunction")
    server.aws("lambda").invoke(FunctionName=name, Payload=b"{}")
    dims = [{"Name": "Channel", "Value": "web"}, {"Name": "service", "Value": "orders"}]

    def placed() -> float:
        points = cw.get_metric_statistics(
            Namespace="Shop", MetricName="OrdersPlaced", Dimensions=dims, Period=60,
            Statistics=["Sum"], **window(),
        )["Datapoints"]  # fmt: skip
        return total(points)

    wait_for(lambda: placed() >= 2, timeout=20)
    names = {m["MetricName"] for m in cw.list_metrics(Namespace="Shop")["Metrics"]}
    assert {"OrdersPlaced", "BasketSize"} <= names


def test_an_alarm_fires_on_data_and_says_so_on_eventbridge_and_sns(
    server: LaminaUp, cw: Any
) -> None:
    """An alarm over a user metric goes to ALARM when data breaches its threshold: the state
    change reaches an EventBridge rule's queue as 'CloudWatch Alarm State Change' and the
    alarm's SNS action's subscribers; DescribeAlarms and DescribeAlarmHistory show it."""
    sqs, sns, events = server.aws("sqs"), server.aws("sns"), server.aws("events")
    queue = sqs.create_queue(QueueName="alarm-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="alarms", EventPattern=json.dumps({"source": ["aws.cloudwatch"]}))
    events.put_targets(Rule="alarms", Targets=[{"Id": "q", "Arn": queue_arn}])
    notes = sqs.create_queue(QueueName="alarm-notes")["QueueUrl"]
    notes_arn = sqs.get_queue_attributes(QueueUrl=notes, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=notes_arn,
                  Attributes={"RawMessageDelivery": "true"})  # fmt: skip
    dims = [{"Name": "Queue", "Value": "jobs"}]
    cw.put_metric_alarm(
        AlarmName="backlog", MetricName="Backlog", Namespace="Test/Alarms", Dimensions=dims,
        Statistic="Maximum", Period=60, EvaluationPeriods=1, Threshold=10,
        ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic],
    )  # fmt: skip
    cw.put_metric_data(
        Namespace="Test/Alarms",
        MetricData=[{"MetricName": "Backlog", "Dimensions": dims, "Value": 50}],
    )

    def state() -> str:
        return str(cw.describe_alarms(AlarmNames=["backlog"])["MetricAlarms"][0]["StateValue"])

    wait_for(lambda: state() == "ALARM", timeout=20)

    def received(url: str) -> list[dict[str, Any]]:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        return [json.loads(m["Body"]) for m in got.get("Messages", [])]

    seen: list[dict[str, Any]] = []
    wait_for(lambda: seen.extend(received(queue)) or any(
        e["detail"]["state"]["value"] == "ALARM" for e in seen), timeout=20)  # fmt: skip
    event = next(e for e in seen if e["detail"]["state"]["value"] == "ALARM")
    assert event["detail-type"] == "CloudWatch Alarm State Change"
    assert event["source"] == "aws.cloudwatch"
    assert event["detail"]["alarmName"] == "backlog"
    assert event["detail"]["previousState"]["value"] == "INSUFFICIENT_DATA"
    mail: list[dict[str, Any]] = []
    wait_for(lambda: mail.extend(received(notes)) or mail, timeout=20)
    assert mail[0]["AlarmName"] == "backlog" and mail[0]["NewStateValue"] == "ALARM"
    for_metric = cw.describe_alarms_for_metric(
        Namespace="Test/Alarms", MetricName="Backlog", Dimensions=dims
    )["MetricAlarms"]
    assert [a["AlarmName"] for a in for_metric] == ["backlog"]
    history = cw.describe_alarm_history(AlarmName="backlog")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history][-2:] == [
        "Alarm updated from INSUFFICIENT_DATA to ALARM",
        'Alarm "backlog" created',
    ]
    cw.delete_alarms(AlarmNames=["backlog"])
    assert cw.describe_alarms(AlarmNames=["backlog"])["MetricAlarms"] == []


def test_a_metric_math_alarm_judges_its_expression(cw: Any) -> None:
    """An alarm over Metrics (a MetricStat and an expression returning data) is judged on the
    expression's values."""
    stat = {"Metric": {"Namespace": "Test/MathAlarm", "MetricName": "Failed"}, "Period": 60,
            "Stat": "Sum"}  # fmt: skip
    cw.put_metric_alarm(
        AlarmName="math", EvaluationPeriods=1, Threshold=50,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Metrics=[{"Id": "failed", "MetricStat": stat, "ReturnData": False},
                 {"Id": "doubled", "Expression": "failed * 10", "ReturnData": True}],
    )  # fmt: skip
    cw.put_metric_data(
        Namespace="Test/MathAlarm", MetricData=[{"MetricName": "Failed", "Value": 6}]
    )

    def state() -> str:
        return str(cw.describe_alarms(AlarmNames=["math"])["MetricAlarms"][0]["StateValue"])

    wait_for(lambda: state() == "ALARM", timeout=20)
    alarm = cw.describe_alarms(AlarmNames=["math"])["MetricAlarms"][0]
    assert "[60]" in alarm["StateReason"]


def test_the_aws_cli_and_the_query_protocol(server: LaminaUp, cw: Any) -> None:
    """`aws cloudwatch list-metrics` finds a metric put with boto3; a query-protocol request
    (what older SDKs send) gets the XML answer."""
    cw.put_metric_data(Namespace="Test/Cli", MetricData=[{"MetricName": "Seen", "Value": 1}])
    run = subprocess.run(
        ["aws", "cloudwatch", "list-metrics", "--namespace", "Test/Cli",
         "--endpoint-url", server.endpoint, "--output", "json"],
        capture_output=True, text=True, timeout=60, env=server.cli_env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert [m["MetricName"] for m in json.loads(run.stdout)["Metrics"]] == ["Seen"]
    pair = server.key_pair
    body = urllib.parse.urlencode(
        {"Action": "ListMetrics", "Version": "2010-08-01", "Namespace": "Test/Cli"}
    )
    request = AWSRequest(
        "POST", server.endpoint + "/", data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )  # fmt: skip
    credentials = Credentials(pair.access_key_id, pair.secret_access_key)
    SigV4Auth(credentials, "monitoring", "us-east-1").add_auth(request)
    prepared = request.prepare()
    status, answer = fetch(
        urllib.request.Request(
            prepared.url, data=body.encode(), headers=dict(prepared.headers), method="POST"
        )
    )
    assert status == 200, answer
    names = [e.text for e in ET.fromstring(answer).iter() if e.tag.endswith("MetricName")]
    assert names == ["Seen"]


def test_queue_depths_are_aws_sqs_metrics(cw: Any) -> None:
    """The template's queue's approximate message counts are sampled as AWS/SQS metrics by
    QueueName."""
    listed = cw.list_metrics(
        Namespace="AWS/SQS", Dimensions=[{"Name": "QueueName", "Value": "jobs"}]
    )
    names = {m["MetricName"] for m in listed["Metrics"]}
    assert {"ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible"} <= names
    points = cw.get_metric_statistics(
        Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible", Period=60,
        Dimensions=[{"Name": "QueueName", "Value": "jobs"}], Statistics=["Maximum"], **window(),
    )["Datapoints"]  # fmt: skip
    assert points and points[0]["Maximum"] == 0


def test_set_alarm_state_and_actions_by_hand(cw: Any) -> None:
    """SetAlarmState moves an alarm (its reason and data kept, the change in its history);
    DisableAlarmActions turns its actions off. The alarm ignores missing data, so its own
    evaluation leaves the state set by hand."""
    cw.put_metric_alarm(
        AlarmName="quiet", Namespace="Test/Quiet", MetricName="Never", Statistic="Sum",
        Period=60, EvaluationPeriods=1, Threshold=1, TreatMissingData="ignore",
        ComparisonOperator="GreaterThanThreshold",
    )  # fmt: skip
    cw.disable_alarm_actions(AlarmNames=["quiet"])
    cw.set_alarm_state(
        AlarmName="quiet", StateValue="ALARM", StateReason="by hand",
        StateReasonData=json.dumps({"why": "testing"}),
    )  # fmt: skip
    alarm = cw.describe_alarms(AlarmNames=["quiet"])["MetricAlarms"][0]
    assert (alarm["StateValue"], alarm["StateReason"], alarm["ActionsEnabled"]) == (
        "ALARM",
        "by hand",
        False,
    )
    assert json.loads(alarm["StateReasonData"]) == {"why": "testing"}
    [change, created] = cw.describe_alarm_history(AlarmName="quiet")["AlarmHistoryItems"]
    assert change["HistoryItemType"] == "StateUpdate"
    assert change["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"
    assert json.loads(change["HistoryData"])["newState"]["stateReason"] == "by hand"
    assert created["HistoryItemType"] == "ConfigurationUpdate"
    code, _ = error_code(
        cw.set_alarm_state, AlarmName="quiet", StateValue="OK", StateReason="x",
        StateReasonData="{not json",
    )  # fmt: skip
    assert code == "InvalidParameterValue"
    cw.delete_alarms(AlarmNames=["quiet"])
    code, _ = error_code(cw.delete_alarms, AlarmNames=["quiet"])
    assert code == "ResourceNotFound"


def test_a_lambda_alarm_action_receives_the_alarms_event(server: LaminaUp, cw: Any) -> None:
    """A function among an alarm's actions is invoked with CloudWatch's alarm event (source
    aws.cloudwatch, alarmData with the new and previous state)."""
    name = function_name(server, "AlarmFunction")
    arn = server.aws("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    cw.put_metric_alarm(
        AlarmName="paging", Namespace="Test/Paging", MetricName="Never", Statistic="Sum",
        Period=60, EvaluationPeriods=1, Threshold=1, TreatMissingData="ignore",
        ComparisonOperator="GreaterThanThreshold", AlarmActions=[arn],
    )  # fmt: skip
    cw.set_alarm_state(AlarmName="paging", StateValue="ALARM", StateReason="paged")

    def received() -> list[dict[str, Any]]:
        marker = "ALARM EVENT "
        lines = [x for x in server.log().splitlines() if marker in x]
        return [json.loads(x.split(marker, 1)[1]) for x in lines]

    [event] = wait_for(received, timeout=20)
    assert (event["source"], event["alarmArn"].rsplit(":", 1)[-1]) == ("aws.cloudwatch", "paging")
    assert event["alarmData"]["state"]["value"] == "ALARM"
    assert event["alarmData"]["state"]["reason"] == "paged"
    assert event["alarmData"]["previousState"]["value"] == "INSUFFICIENT_DATA"


def test_an_alarm_watches_lambdas_own_metrics(server: LaminaUp, cw: Any) -> None:
    """An alarm on AWS/Lambda Errors of a function that failed is in ALARM as soon as it is
    put; a Period CloudWatch does not take is refused."""
    name = function_name(server, "FailingFunction")
    server.aws("lambda").invoke(FunctionName=name, Payload=b"{}")
    alarm = {
        "AlarmName": "failing", "Namespace": "AWS/Lambda", "MetricName": "Errors",
        "Dimensions": [{"Name": "FunctionName", "Value": name}], "Statistic": "Sum",
        "Period": 60, "EvaluationPeriods": 1, "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold",
    }  # fmt: skip
    cw.put_metric_alarm(**alarm)

    def state() -> str:
        return str(cw.describe_alarms(AlarmNames=["failing"])["MetricAlarms"][0]["StateValue"])

    wait_for(lambda: state() == "ALARM", timeout=20)
    code, _ = error_code(cw.put_metric_alarm, **{**alarm, "Period": 45})
    assert code == "InvalidParameterValue"


def test_function_urls_are_counted_as_lambda_counts_them(server: LaminaUp, cw: Any) -> None:
    """Requests to a function URL count under AWS/Lambda UrlRequestCount by FunctionName."""
    name = function_name(server, "OrdersFunction")
    url = f"{api_url(server)}/_lamina/urls/OrdersFunction/"  # the URL's prefixed form
    assert fetch(urllib.request.Request(url, data=b"{}"))[0] == 201
    points = cw.get_metric_statistics(
        Namespace="AWS/Lambda", MetricName="UrlRequestCount", Period=60, Statistics=["Sum"],
        Dimensions=[{"Name": "FunctionName", "Value": name}], **window(),
    )["Datapoints"]  # fmt: skip
    assert total(points) == 1


def test_acknowledged_metrics_and_alarms_survive_kill_9(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Data PutMetricData acknowledged and an alarm PutMetricAlarm acknowledged are there after
    `lamina up` is killed with SIGKILL and started again on the same state directory."""
    state = tmp_path_factory.mktemp("cloudwatch-kill") / "state"
    first = LaminaUp(TEMPLATE, state).start()
    try:
        cw = first.aws("cloudwatch")
        cw.put_metric_data(
            Namespace="Test/Durable", MetricData=[{"MetricName": "Kept", "Value": 7}]
        )
        cw.put_metric_alarm(
            AlarmName="kept", Namespace="Test/Durable", MetricName="Kept", Statistic="Sum",
            Period=60, EvaluationPeriods=1, Threshold=100, ComparisonOperator="GreaterThanThreshold",
        )  # fmt: skip
        first.kill()
    finally:
        first.stop()
    second = LaminaUp(TEMPLATE, state).start()
    try:
        cw = second.aws("cloudwatch")
        points = cw.get_metric_statistics(
            Namespace="Test/Durable", MetricName="Kept", Period=60, Statistics=["Sum"], **window()
        )["Datapoints"]
        assert total(points) == 7
        assert [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]] == ["kept"]
    finally:
        second.stop()
