"""Least-privilege IAM policies for the roles that run reconcile (``reconcile permissions``).

``grants``: what a kind declares it needs (``Kind.permissions``); ``compose``: what a command needs for a folder
of manifests, as IAM policy documents. The actions, resource types, ARN formats and condition keys come from
the Service Authorization Reference (``reconciler.awsmodel.iam_reference``).
"""
