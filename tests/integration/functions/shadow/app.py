import boto3


def handler(event, context):
    return {"boto3_file": boto3.__file__, "boto3_version": boto3.__version__}
