"""Budgets: the calls the AWS provider's ``aws_budgets_budget`` makes that moto lacks.

moto 5.2.5 keeps budgets and their notifications with subscribers, but:

- it has no DescribeSubscribersForNotification: it raises ``NotImplementedError`` and the
  server answers HTTP 500. The provider reads every notification's subscribers after each
  create and on every refresh, and retries the 500 for many minutes. AWS answers with the
  notification's subscribers (``Subscribers``: ``SubscriptionType`` and ``Address`` each),
  and ``NotFoundException`` when the budget or the notification does not exist;
- it has no budget tags: CreateBudget's ``ResourceTags`` are dropped and
  ListTagsForResource, TagResource and UntagResource answer HTTP 500. The provider sends
  its default tags with CreateBudget and reads them back with ListTagsForResource
  (``ResourceARN`` ``arn:aws:budgets::<account>:budget/<name>``). AWS keeps them per budget
  and answers ``ResourceTags`` (``Key``/``Value`` pairs); a deleted budget's tags go with it;
- it has no UpdateBudget, UpdateNotification, CreateSubscriber, DeleteSubscriber or
  UpdateSubscriber (HTTP 500): a changed limit, threshold or address never applied. AWS
  replaces the budget's definition (its notifications stay), a notification's details, or
  a notification's subscribers.
"""

from __future__ import annotations

import json
from typing import Any

from moto.budgets import models, responses
from moto.budgets.exceptions import NotFoundException

# The fields that identify a notification; AWS ignores the others (NotificationState).
_IDENTITY = ("NotificationType", "ComparisonOperator", "ThresholdType")


def _same(stored: dict[str, Any], asked: dict[str, Any]) -> bool:
    if any(stored.get(field) != asked.get(field) for field in _IDENTITY if field in asked):
        return False
    return float(stored.get("Threshold", 0)) == float(asked.get("Threshold", 0))


def describe_subscribers_for_notification(
    backend: models.BudgetsBackend, account_id: str, budget_name: str, notification: dict[str, Any]
) -> list[dict[str, Any]]:
    budget = backend.budgets.get(account_id, {}).get(budget_name)
    if budget is None:
        raise NotFoundException(f"Unable to get subscribers - the budget {budget_name} doesn't exist.")
    for stored in budget.notifications:
        if _same(stored.details, notification):
            return list(stored.subscribers)
    raise NotFoundException("Unable to get subscribers - the notification doesn't exist.")


def _budget(backend: models.BudgetsBackend, account_id: str, budget_name: str) -> models.Budget:
    budget = backend.budgets.get(account_id, {}).get(budget_name)
    if budget is None:
        raise NotFoundException(f"Unable to update - the budget {budget_name} doesn't exist.")
    return budget


def _notification(budget: models.Budget, asked: dict[str, Any]) -> models.Notification:
    for stored in budget.notifications:
        if _same(stored.details, asked):
            return stored
    raise NotFoundException("Unable to update - the notification doesn't exist.")


def update_budget(backend: models.BudgetsBackend, account_id: str, new: dict[str, Any]) -> None:
    budget = _budget(backend, account_id, new["BudgetName"])
    kept = {k: v for k, v in budget.budget.items() if k in ("TimePeriod",) and k not in new}
    budget.budget = dict(new, **kept, LastUpdatedTime=models.unix_time())


def update_notification(backend: models.BudgetsBackend, account_id: str, budget_name: str,
                        old: dict[str, Any], new: dict[str, Any]) -> None:
    _notification(_budget(backend, account_id, budget_name), old).details = new


def change_subscribers(backend: models.BudgetsBackend, account_id: str, budget_name: str,
                       notification: dict[str, Any], remove: dict[str, Any] | None,
                       add: dict[str, Any] | None) -> None:
    stored = _notification(_budget(backend, account_id, budget_name), notification)
    subscribers = list(stored.subscribers)
    if remove is not None:
        subscribers = [s for s in subscribers if s != remove]
    if add is not None and add not in subscribers:
        subscribers.append(add)
    stored.subscribers = subscribers


def budget_arn(account_id: str, budget_name: str) -> str:
    return f"arn:aws:budgets::{account_id}:budget/{budget_name}"


def _tags(backend: models.BudgetsBackend) -> dict[str, dict[str, str]]:
    if not hasattr(backend, "strata_tags"):
        backend.strata_tags = {}  # type: ignore[attr-defined]
    return backend.strata_tags  # type: ignore[attr-defined,no-any-return]


def _known(backend: models.BudgetsBackend, arn: str) -> dict[str, str]:
    _, _, name = arn.partition(":budget/")
    account_id = arn.split(":")[4] if arn.count(":") >= 5 else ""
    if not name or name not in backend.budgets.get(account_id, {}):
        raise NotFoundException(f"Unable to find the resource {arn}.")
    return _tags(backend).setdefault(arn, {})


def apply() -> None:
    original_create = responses.BudgetsResponse.create_budget
    original_delete = responses.BudgetsResponse.delete_budget

    def create_budget(self: responses.BudgetsResponse) -> str:
        answer = original_create(self)
        arn = budget_arn(self._get_param("AccountId"), self._get_param("Budget")["BudgetName"])
        _tags(self.backend)[arn] = {t["Key"]: t["Value"] for t in self._get_param("ResourceTags") or []}
        return answer

    def delete_budget(self: responses.BudgetsResponse) -> str:
        answer = original_delete(self)
        _tags(self.backend).pop(budget_arn(self._get_param("AccountId"), self._get_param("BudgetName")), None)
        return answer

    def describe_subscribers(self: responses.BudgetsResponse) -> str:
        subscribers = describe_subscribers_for_notification(
            self.backend, self._get_param("AccountId"), self._get_param("BudgetName"),
            self._get_param("Notification") or {})
        return json.dumps({"Subscribers": subscribers})

    def list_tags_for_resource(self: responses.BudgetsResponse) -> str:
        tags = _known(self.backend, self._get_param("ResourceARN"))
        return json.dumps({"ResourceTags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]})

    def tag_resource(self: responses.BudgetsResponse) -> str:
        tags = _known(self.backend, self._get_param("ResourceARN"))
        tags.update({t["Key"]: t["Value"] for t in self._get_param("ResourceTags") or []})
        return json.dumps({})

    def untag_resource(self: responses.BudgetsResponse) -> str:
        tags = _known(self.backend, self._get_param("ResourceARN"))
        for key in self._get_param("ResourceTagKeys") or []:
            tags.pop(key, None)
        return json.dumps({})

    def update(self: responses.BudgetsResponse) -> str:
        update_budget(self.backend, self._get_param("AccountId"), self._get_param("NewBudget"))
        return json.dumps({})

    def update_notification_(self: responses.BudgetsResponse) -> str:
        update_notification(self.backend, self._get_param("AccountId"), self._get_param("BudgetName"),
                            self._get_param("OldNotification"), self._get_param("NewNotification"))
        return json.dumps({})

    def subscribers_changer(remove: str | None, add: str | None):  # type: ignore[no-untyped-def]
        def handler(self: responses.BudgetsResponse) -> str:
            change_subscribers(self.backend, self._get_param("AccountId"), self._get_param("BudgetName"),
                               self._get_param("Notification"), self._get_param(remove) if remove else None,
                               self._get_param(add) if add else None)
            return json.dumps({})
        return handler

    responses.BudgetsResponse.update_budget = update
    responses.BudgetsResponse.update_notification = update_notification_
    responses.BudgetsResponse.create_subscriber = subscribers_changer(None, "Subscriber")
    responses.BudgetsResponse.delete_subscriber = subscribers_changer("Subscriber", None)
    responses.BudgetsResponse.update_subscriber = subscribers_changer("OldSubscriber", "NewSubscriber")
    responses.BudgetsResponse.create_budget = create_budget
    responses.BudgetsResponse.delete_budget = delete_budget
    responses.BudgetsResponse.describe_subscribers_for_notification = describe_subscribers
    responses.BudgetsResponse.list_tags_for_resource = list_tags_for_resource
    responses.BudgetsResponse.tag_resource = tag_resource
    responses.BudgetsResponse.untag_resource = untag_resource
