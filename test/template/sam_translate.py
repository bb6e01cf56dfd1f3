"""Translates a SAM template to plain CloudFormation offline, with aws-sam-translator (no AWS account, no SAM CLI).

Usage: python3 sam_translate.py template.yaml > out.json
Prints {"template": <the SAM template as parsed>, "cloudformation": <the translated template>}; intrinsic
functions stay in their JSON form ({"Ref": ...}, {"Fn::Sub": ...}). Used by test/template/*.test.ts.

The translator refuses a local CodeUri (`./`): SAM CLI uploads the code first and puts an s3:// URI there,
so this script does the same with a placeholder URI. It needs a region (for ARNs and partitions); the caller
sets AWS_DEFAULT_REGION.
"""

import copy
import json
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

PLACEHOLDER_CODE_URI = "s3://ecs-migrate-test-artifacts/code.zip"


class NoManagedPolicies:
    """The translator asks for AWS managed policy ARNs by name; this template names none, so none are known."""

    def load(self):
        return {}


def with_s3_code_uri(template):
    out = copy.deepcopy(template)
    function_globals = out.get("Globals", {}).get("Function", {})
    if "CodeUri" in function_globals:
        function_globals["CodeUri"] = PLACEHOLDER_CODE_URI
    for resource in out.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function" and "CodeUri" in resource.get("Properties", {}):
            resource["Properties"]["CodeUri"] = PLACEHOLDER_CODE_URI
    return out


def main(path):
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    cloudformation = transform(with_s3_code_uri(template), {}, NoManagedPolicies())
    json.dump({"template": template, "cloudformation": cloudformation}, sys.stdout, indent=1, default=str)


if __name__ == "__main__":
    main(sys.argv[1])
