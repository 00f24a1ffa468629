"""The emulator's Budgets: the calls the AWS provider's aws_budgets_budget makes.

moto 5.2.5 had no DescribeSubscribersForNotification, no budget tags and no updates
(strata_emulator/patches/budgets.py); each is checked here against the answer AWS gives.
"""

from __future__ import annotations

import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from strata_emulator import patches

ACCOUNT = "123456789012"
NOTIFICATION = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80.0,
                "ThresholdType": "PERCENTAGE"}
SUBSCRIBER = {"SubscriptionType": "EMAIL", "Address": "ops@example.com"}


@pytest.fixture
def budgets(aws_session):
    # No retries: the provider's silent retries on HTTP 500 are what hid the gap.
    return aws_session.client("budgets", region_name="us-east-1", config=Config(retries={"total_max_attempts": 1}))


@pytest.fixture
def budget(budgets):
    name = f"cost-{uuid.uuid4().hex[:8]}"
    budgets.create_budget(
        AccountId=ACCOUNT,
        Budget={"BudgetName": name, "BudgetType": "COST", "TimeUnit": "MONTHLY",
                "BudgetLimit": {"Amount": "10.00", "Unit": "USD"}},
        NotificationsWithSubscribers=[{"Notification": NOTIFICATION, "Subscribers": [SUBSCRIBER]}],
        ResourceTags=[{"Key": "Project", "Value": "strata"}],
    )
    yield name
    try:
        budgets.delete_budget(AccountId=ACCOUNT, BudgetName=name)
    except ClientError:
        pass


def _arn(name):
    return f"arn:aws:budgets::{ACCOUNT}:budget/{name}"


def test_the_patch_is_listed():
    assert "budgets" in patches.apply_all()


def test_subscribers_of_a_notification(budgets, budget):
    answer = budgets.describe_subscribers_for_notification(AccountId=ACCOUNT, BudgetName=budget,
                                                           Notification=NOTIFICATION)
    assert answer["Subscribers"] == [SUBSCRIBER]


def test_subscribers_of_an_unknown_notification_or_budget(budgets, budget):
    other = dict(NOTIFICATION, Threshold=50.0)
    with pytest.raises(ClientError) as caught:
        budgets.describe_subscribers_for_notification(AccountId=ACCOUNT, BudgetName=budget, Notification=other)
    assert caught.value.response["Error"]["Code"] == "NotFoundException"
    with pytest.raises(ClientError) as caught:
        budgets.describe_subscribers_for_notification(AccountId=ACCOUNT, BudgetName="no-such-budget",
                                                      Notification=NOTIFICATION)
    assert caught.value.response["Error"]["Code"] == "NotFoundException"


def test_tags_kept_changed_and_gone_with_the_budget(budgets, budget):
    assert budgets.list_tags_for_resource(ResourceARN=_arn(budget))["ResourceTags"] == [
        {"Key": "Project", "Value": "strata"}]
    budgets.tag_resource(ResourceARN=_arn(budget), ResourceTags=[{"Key": "Layer", "Value": "bootstrap"}])
    budgets.untag_resource(ResourceARN=_arn(budget), ResourceTagKeys=["Project"])
    assert budgets.list_tags_for_resource(ResourceARN=_arn(budget))["ResourceTags"] == [
        {"Key": "Layer", "Value": "bootstrap"}]
    budgets.delete_budget(AccountId=ACCOUNT, BudgetName=budget)
    with pytest.raises(ClientError) as caught:
        budgets.list_tags_for_resource(ResourceARN=_arn(budget))
    assert caught.value.response["Error"]["Code"] == "NotFoundException"


def test_updates_of_limit_threshold_and_address(budgets, budget):
    budgets.update_budget(AccountId=ACCOUNT, NewBudget={
        "BudgetName": budget, "BudgetType": "COST", "TimeUnit": "MONTHLY",
        "BudgetLimit": {"Amount": "25.00", "Unit": "USD"}})
    described = budgets.describe_budget(AccountId=ACCOUNT, BudgetName=budget)["Budget"]
    assert described["BudgetLimit"] == {"Amount": "25.00", "Unit": "USD"}
    assert "TimePeriod" in described
    new = dict(NOTIFICATION, Threshold=90.0)
    budgets.update_notification(AccountId=ACCOUNT, BudgetName=budget, OldNotification=NOTIFICATION,
                                NewNotification=new)
    assert budgets.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName=budget)["Notifications"] == [new]
    other = {"SubscriptionType": "EMAIL", "Address": "finance@example.com"}
    budgets.update_subscriber(AccountId=ACCOUNT, BudgetName=budget, Notification=new, OldSubscriber=SUBSCRIBER,
                              NewSubscriber=other)
    budgets.create_subscriber(AccountId=ACCOUNT, BudgetName=budget, Notification=new, Subscriber=SUBSCRIBER)
    budgets.delete_subscriber(AccountId=ACCOUNT, BudgetName=budget, Notification=new, Subscriber=other)
    answer = budgets.describe_subscribers_for_notification(AccountId=ACCOUNT, BudgetName=budget, Notification=new)
    assert answer["Subscribers"] == [SUBSCRIBER]
