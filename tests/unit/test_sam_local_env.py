"""sam-local-env.json is generated from template.yaml (make sam-local-env) and committed as generated."""

import json

from flyte_local import application, sam_local_env
from flyte_local.cfn import load_template


def test_the_committed_file_is_what_the_template_generates():
    assert sam_local_env.PATH.read_text(encoding="utf-8") == sam_local_env.render(), "run `make sam-local-env`"


def test_it_names_every_table_of_the_template_and_points_sam_containers_at_the_hosts_moto():
    variables = json.loads(sam_local_env.render())["Parameters"]
    declared = load_template(application.TEMPLATE)["Globals"]["Function"]["Environment"]["Variables"]
    tables = {name for name, value in declared.items() if name.endswith("_TABLE")}
    assert tables and tables <= set(variables)
    assert variables["AWS_ENDPOINT_URL"] == "http://host.docker.internal:5000"
