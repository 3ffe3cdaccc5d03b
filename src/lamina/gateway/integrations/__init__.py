"""Integrations: what a route calls once its steps let the request through.

One class per integration type, each an ``Integration`` (``plan.py``): built once per stage and
route at deploy time with everything it needs precomputed (the function and qualifier with the
stage's variables filled in, the timeout decision, the response mapping), then awaited per call.

* ``lambdaproxy.LambdaProxy``: ``AWS_PROXY``, the function invoked with a 1.0 or 2.0 event; owns
  the integration timeout race and the mapping of the result.
* ``httpproxy.HttpProxy``: ``HTTP_PROXY``, the request forwarded to a URL.
* ``mock.Mock``: REST ``MOCK``, answered by API Gateway itself.

* ``mapped.Mapped``: REST non-proxy integrations (``AWS`` to Lambda, ``HTTP``, templated
  ``MOCK``), mapping templates on the way in and out, with a backend per type;
  ``awsservice.ServiceBackend`` is its backend for ``AWS`` integrations to SQS, SNS, DynamoDB
  and EventBridge (Lamina's services, in process, through a seam ``app/`` injects).
* ``firstclass.FirstClass``: HTTP API first-class integrations (``integrationSubtype``).
"""
