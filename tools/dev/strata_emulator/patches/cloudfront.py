"""CloudFront distributions: return the origin, cache and certificate settings a client set.

moto 5.2.5 rebuilds a distribution's configuration from its own models, which diverge
from CloudFront in three ways; each makes every later ``terraform plan`` of the
distribution propose changes:

* Origin access control: moto's ``Origin`` model drops ``OriginAccessControlId``, so
  GetDistribution and GetDistributionConfig return the origin without it. CloudFront
  returns the id of the origin access control attached to the origin.
* Legacy cache settings: moto gives every cache behaviour a ``ForwardedValues`` block
  (QueryString false, Cookies none), even one that names a ``CachePolicyId``.
  CloudFront returns no ``ForwardedValues`` for a behaviour that uses a cache policy:
  the two are mutually exclusive.
* Viewer certificate: on the CloudFront default certificate moto returns empty
  ``IAMCertificateId`` and ``ACMCertificateArn`` fields and an ``SSLSupportMethod`` of
  ``sni-only`` that nobody set. CloudFront returns a certificate id only for a custom
  certificate, and the SSL support method its owner chose for it.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from moto.cloudfront import models


def apply() -> None:
    _after_init(models.Origin, _keep_origin_access_control)
    _after_init(models.DefaultCacheBehaviour, _drop_invented_forwarded_values)
    _after_init(models.ViewerCertificate, _keep_only_given_certificate)


def _keep_origin_access_control(origin: models.Origin, config: dict[str, Any]) -> None:
    origin.origin_access_control_id = config.get("OriginAccessControlId") or None


def _drop_invented_forwarded_values(
    behaviour: models.DefaultCacheBehaviour, config: dict[str, Any]
) -> None:
    if config.get("CachePolicyId") and "ForwardedValues" not in config:
        behaviour.forwarded_values = None


def _keep_only_given_certificate(
    certificate: models.ViewerCertificate, config: dict[str, Any]
) -> None:
    certificate.iam_certificate_id = config.get("IAMCertificateId") or None
    certificate.acm_certificate_arn = config.get("ACMCertificateArn") or None
    certificate.ssl_support_method = config.get("SSLSupportMethod") or None


def _after_init(cls: type, fix: Callable[[Any, dict[str, Any]], None]) -> None:
    """Run ``fix(instance, config)`` after ``cls.__init__(instance, config)``."""
    original = cls.__init__

    @functools.wraps(original)
    def __init__(self: Any, config: dict[str, Any]) -> None:
        original(self, config)
        fix(self, config)

    cls.__init__ = __init__
