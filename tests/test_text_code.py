"""The code a fix writes is the code the assessment text has the student write."""

from __future__ import annotations

import re

from checks.assessments.lambda_medium.common import FUNCTIONS
from checks.assessments.lambda_medium.text_code import FUNCTION_CODE, LAYER_UTILS
from tests.conftest import ROOT

TEXT = (ROOT / "README_lambda_medium.md").read_text(encoding="utf-8")


def test_each_function_s_code_is_the_text_s() -> None:
    found = {
        name: body + "\n"
        for name, body in re.findall(
            r'cat > "?\$WORKDIR/([a-z-]+)/lambda_function\.py"? <<\'EOF\'\n(.*?)\nEOF\n', TEXT, re.S
        )
    }
    assert found == FUNCTION_CODE
    assert set(FUNCTION_CODE) == set(FUNCTIONS)


def test_the_layer_s_code_is_the_text_s() -> None:
    found = re.search(r"cat > python/utils\.py << 'EOF'\n(.*?)\nEOF\n", TEXT, re.S)
    assert found is not None and found.group(1) + "\n" == LAYER_UTILS
