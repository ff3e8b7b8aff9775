"""reconcile: declarative reconciler for the AWS resources that serve LLMs."""

__version__ = "0.1.0"

API_VERSION = "reconciler/v1"
MANAGED_BY_TAG = "reconciler:managed-by"
MANAGED_BY_VALUE = "reconciler"
STACK_TAG = "reconciler:stack"
PREVENT_DESTROY_TAG = "reconciler:prevent-destroy"
PREVENT_DESTROY_ANNOTATION = "reconciler/prevent-destroy"
ADOPT_ANNOTATION = "reconciler/adopt"
#: an AWS account id: twelve ASCII digits (``\d`` would take any script's digits)
ACCOUNT_ID = r"^[0-9]{12}$"
