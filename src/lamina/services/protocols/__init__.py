"""AWS's wire protocols, spoken once for every service on the endpoint.

botocore's service models declare how each AWS API is spoken: ``json`` (a POST whose
``X-Amz-Target`` names the operation), ``query`` (a form body with ``Action=``, XML answers),
``rest-json`` and ``rest-xml`` (the operation is the method and path). This package knows which
protocol a request speaks (``wire``), which AWS service and operation it is for
(``catalog``, from botocore's models) and how an error leaves in that protocol (``errors``).

``service.ModelService`` is the seam a service package plugs into: a model name and one handler
per operation. ``shapes`` compiles the model; ``validation`` checks members against it;
``awsjson``, ``query`` and ``rest`` (``rest-json`` and ``rest-xml``, with ``xmlbody``) parse
requests and serialise results; ``scalars`` holds each protocol's timestamps, blobs and booleans.
"""
