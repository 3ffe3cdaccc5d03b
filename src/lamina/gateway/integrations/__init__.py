"""Integrations: what a route calls once its steps let the request through.

One class per integration type, each an ``Integration`` (``plan.py``): built once per stage and
route at deploy time with everything it needs precomputed (the function and qualifier with the
stage's variables filled in, the timeout decision, the response mapping), then awaited per call.

* ``lambdaproxy.LambdaProxy``: ``AWS_PROXY``, the function invoked with a 1.0 or 2.0 event; owns
  the integration timeout race and the mapping of the result.
* ``httpproxy.HttpProxy``: ``HTTP_PROXY``, the request forwarded to a URL.
* ``mock.Mock``: REST ``MOCK``, answered by API Gateway itself.

AWS-service integrations (``AWS``: SQS, EventBridge, Step Functions) will be more classes here.
"""
