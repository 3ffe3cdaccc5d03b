import json
import os

import boto3


def read(event, context):
    ssm = boto3.client("ssm")
    secrets = boto3.client("secretsmanager")
    parameter = ssm.get_parameter(Name=os.environ["PARAM_NAME"])["Parameter"]
    secret = secrets.get_secret_value(SecretId=os.environ["SECRET_ARN"])
    return {
        "parameter": parameter["Value"],
        "from_template": os.environ["PARAM_VALUE"],
        "secret": json.loads(secret["SecretString"]),
        "secret_arn": secret["ARN"],
        "external_host": os.environ["EXTERNAL_HOST"],
        "external_password": os.environ["EXTERNAL_PASSWORD"],
    }


def ping(event, context):
    return {"statusCode": 200, "body": "pong"}
