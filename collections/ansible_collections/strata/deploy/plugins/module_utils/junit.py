# Copyright: Contributors to the strata project
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""JUnit XML of a strata report (drift, verify, drill): one suite ``strata.<kind>.<env>``, a
testcase per case, a failure per problem. Pure standard library."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

# Characters XML 1.0 cannot hold: replaced, so that any message can be written.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value):
    """``value`` as text XML 1.0 can hold (U+FFFD for any other character)."""
    return _NOT_XML.sub("\ufffd", str(value))


def junit_xml(kind, env, generated_at, cases):
    """The XML document. Each case: ``name``, ``failures`` (a message, or a ``(message, text)``
    pair), optionally ``seconds`` (the testcase's time) and ``skipped`` (a reason)."""
    tests = str(len(cases))
    failures = str(sum(len(case["failures"]) for case in cases))
    suite_name = xml_text(f"strata.{kind}.{env}")
    root = ET.Element("testsuites", {"name": f"strata {kind}", "tests": tests, "failures": failures})
    suite = ET.SubElement(root, "testsuite", {"name": suite_name, "tests": tests, "failures": failures,
                                              "timestamp": xml_text(generated_at)})
    for case in cases:
        attributes = {"classname": suite_name, "name": xml_text(case["name"])}
        if "seconds" in case:
            attributes["time"] = xml_text(case["seconds"])
        testcase = ET.SubElement(suite, "testcase", attributes)
        if case.get("skipped"):
            ET.SubElement(testcase, "skipped", {"message": xml_text(case["skipped"])})
        for failure in case["failures"]:
            message, text = failure if isinstance(failure, tuple) else (failure, failure)
            ET.SubElement(testcase, "failure", {"type": kind, "message": xml_text(message)}).text = xml_text(text)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
