"""Constraints from botocore's service models, for validate (client side) and the sandbox (server side).

One mechanism (DESIGN.md house rule 10): lengths, patterns, enums, numeric ranges and list/map sizes are
read from the installed botocore model, never copied by hand. Imports only botocore and the standard
library; each service model is loaded once, on first use.

- ``constraints(service, ref)``: what the shape at ``ref`` allows (``CreateEndpoint.EndpointName``,
  ``ProductionVariantInstanceType``, ``Tag.Key``, ``CreateFunction.Environment.Variables.value``).
- ``check_value(service, ref, value)``: the violations of one value (walking nested shapes).
- ``check(service, operation, params)``: the violations of a whole request.
"""

from reconciler.awsmodel.check import (
           MapKey,
           Violation,
           aws_summary,
           check,
           check_shape,
           check_value,
           did_you_mean,
)
from reconciler.awsmodel.patterns import Untranslatable, matcher, try_matcher
from reconciler.awsmodel.shapes import Constraints, constraints, service_model, shape

__all__ = ["Constraints", "MapKey", "Untranslatable", "Violation", "aws_summary", "check", "check_shape",
           "check_value", "constraints", "did_you_mean", "matcher", "service_model", "shape", "try_matcher"]
