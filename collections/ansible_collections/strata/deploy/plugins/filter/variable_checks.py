# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rules argument specs cannot express (ranges, patterns, rules spanning several variables),
evaluated over the variables a run gives, as the sentences a person should read.

Each role keeps its rules in ``meta/checks.yml`` beside its ``meta/argument_specs.yml``; the
validate_inventory role reads them and passes them here with the variables the run set.

The named formats are the one home of the patterns they stand for (the S3 bucket name, the
project and environment names, an e-mail address): Terraform's variable validation keeps its
own copy, which the project's tests compare with these.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

# S3 bucket names: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending
# with a letter or digit; no two dots in a row, not an IP address.
BUCKET_NAME = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
BUCKET_NAME_EXCLUDED = r"\.\.|^\d+\.\d+\.\d+\.\d+$"
# project_name becomes part of every bucket name ({project_name}-tfstate-{account id} is the
# longest): 3 to 30 characters, and none of the prefixes S3 reserves.
PROJECT_NAME = r"^[a-z0-9][a-z0-9-]{1,28}[a-z0-9]$"
PROJECT_NAME_EXCLUDED = r"^(xn--|sthree-)"
# env becomes part of resource names and state keys.
ENV_NAME = r"^[a-z][a-z0-9-]{0,14}[a-z0-9]$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# The words a run or a survey may give for true or false (any case).
BOOLEAN_WORDS = ("true", "false", "yes", "no", "on", "off", "1", "0")

# name: (the pattern the whole value matches, a pattern no part of it may match)
FORMATS = {
    "bucket_name": (BUCKET_NAME, BUCKET_NAME_EXCLUDED),
    "project_name": (PROJECT_NAME, PROJECT_NAME_EXCLUDED),
    "env": (ENV_NAME, None),
    "email": (EMAIL, None),
    "boolean": (None, None),
}

RULES = ("format", "pattern", "one_of", "whole_number", "min", "above", "max", "more_than", "each", "keys",
         "requires", "needs_any")
FIELDS = ("name", "expected", "message", "empty") + RULES
NOTHING_CHANGED = "Nothing was changed."
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


class _Context(dict):
    """What a message's placeholders name: its own fields, then any variable (given, or its
    default), read only when a placeholder asks for it; an unknown placeholder stays as written."""

    def __init__(self, read, known, **fields):
        super().__init__(**fields)
        self._read = read
        self._known = known

    def __missing__(self, key):
        return _display(self._read(key)) if self._known(key) else "{" + key + "}"


def _display(value):
    return "" if value is None else str(value)


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    text = _display(value)
    return float(text) if _DECIMAL.fullmatch(text) else None


def _true(value, kind):
    """Whether another variable a rule reads is on: its argument spec's type says how to read it."""
    if kind == "bool":
        return boolean(value, strict=False)
    return bool(value)


def _matches_format(name, text):
    if name == "boolean":
        return text.lower() in BOOLEAN_WORDS
    pattern, excluded = FORMATS[name]
    return bool(re.fullmatch(pattern, text)) and not (excluded and re.search(excluded, text))


def _items(value):
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, Sequence) else [value]
    return [text for text in (_display(item).strip() for item in items) if text]


def _value_holds(check, value, read):
    """Whether ``value`` keeps every rule of ``check``; ``read(name)`` gives another variable's value."""
    texts = _items(value) if check.get("each") else [_display(value)]
    for text in texts:
        if "format" in check and not _matches_format(check["format"], text):
            return False
        if "pattern" in check and not re.fullmatch(check["pattern"], text):
            return False
    if "one_of" in check:
        choices = check["one_of"]
        numeric = all(_number(choice) is not None for choice in choices)
        if (_number(value) if numeric else _display(value)) not in choices:
            return False
    if check.get("whole_number") and not re.fullmatch(r"[0-9]+", _display(value)):
        return False
    number = _number(value)
    for rule, holds in (("min", lambda n, limit: n >= limit), ("above", lambda n, limit: n > limit),
                        ("max", lambda n, limit: n <= limit)):
        if rule in check and (number is None or not holds(number, check[rule])):
            return False
    if "more_than" in check:
        other = _number(read(check["more_than"]))
        if number is None or other is None or number <= other:
            return False
    if "requires" in check and boolean(value, strict=False):
        if any(_display(read(name)) != _display(wanted) for name, wanted in check["requires"].items()):
            return False
    return True


def _check_definition(check):
    if not isinstance(check, Mapping) or not check.get("name"):
        raise AnsibleFilterError(f"a check must be a mapping with a name, got {check!r}")
    unknown = sorted(set(check) - set(FIELDS))
    if unknown:
        raise AnsibleFilterError(f"the check of {check['name']} has unknown fields: {', '.join(unknown)}")
    if not set(check) & set(RULES):
        raise AnsibleFilterError(f"the check of {check['name']} has no rule (one of {', '.join(RULES)})")
    if ("expected" in check) == ("message" in check):
        raise AnsibleFilterError(f"the check of {check['name']} needs either expected or message")
    if "format" in check and check["format"] not in FORMATS:
        raise AnsibleFilterError(f"the check of {check['name']} names an unknown format {check['format']!r}"
                                 f" (known: {', '.join(FORMATS)})")


def variable_refusals(checks, given, options=None):
    """The refusal of every check the given variables fail, each ending with "Nothing was changed.".

    ``checks``: the rules (``meta/checks.yml``'s ``checks`` of every role). ``given``: the variables
    the run set, by name. ``options``: the roles' argument spec options, whose ``default`` stands
    for a variable not given and whose ``type`` says how to read it. A check is evaluated when its
    variable, or a variable its rules read, is given."""
    if not isinstance(given, Mapping):
        raise AnsibleFilterError(f"variable_refusals needs the given variables as a mapping, got {type(given).__name__}")
    options = options or {}
    defaults = {name: option["default"] for name, option in options.items()
                if isinstance(option, Mapping) and "default" in option}

    def known(name):
        return name in given or name in defaults

    def read(name):
        return given[name] if name in given else defaults.get(name)

    refusals = []
    for check in checks or []:
        _check_definition(check)
        name = check["name"]
        others = [check["more_than"]] if "more_than" in check else []
        others += list(check.get("requires", {})) + list(check.get("needs_any", []))
        if not (name in given or any(other in given for other in others)) or not known(name):
            continue
        value = read(name)
        if check.get("empty") and not value:
            continue
        bad_keys = []
        if "keys" in check:
            bad_keys = [key for key in value if not re.fullmatch(check["keys"], str(key))] if isinstance(value, Mapping) \
                else ["(not a mapping)"]
        needs = check.get("needs_any", [])
        needs_met = not needs or any(_true(read(other), (options.get(other) or {}).get("type")) for other in needs)
        if not bad_keys and needs_met and _value_holds(check, value, read):
            continue
        context = _Context(read, known, name=name, value=_display(value), bad_keys=bad_keys,
                           one_of=", ".join(_display(choice) for choice in check.get("one_of", [])))
        template = check.get("message") or "{name} is '{value}': expected " + check["expected"]
        try:
            text = template.format_map(context)
        except (ValueError, IndexError, AttributeError) as exc:
            raise AnsibleFilterError(f"the check of {name} has a message that cannot be filled in: {exc}") from exc
        refusal = text.rstrip().rstrip(".") + ". " + NOTHING_CHANGED
        if refusal not in refusals:
            refusals.append(refusal)
    return refusals


class FilterModule:
    def filters(self):
        return {"variable_refusals": variable_refusals}
