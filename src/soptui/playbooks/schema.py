"""The JSON Schema of the playbook format, for editors that read ``#:schema`` comments."""

from __future__ import annotations

import json
from typing import Any

from soptui.playbooks.spec import Playbook

SCHEMA_ID = "https://soptui.dev/schema/playbook.schema.json"


def playbook_schema() -> dict[str, Any]:
    schema = Playbook.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "soptui playbook (format 1)"
    # `id` defaults to the file stem, so it is never required in the file itself.
    schema["required"] = [k for k in schema.get("required", []) if k != "id"]
    return schema


def playbook_schema_json() -> str:
    return json.dumps(playbook_schema(), ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False) + "\n"


def roster_schema_json(kind: str) -> str:
    """The JSON Schema of groups.toml (``kind`` "groups") or people.toml ("people")."""
    from soptui.playbooks.spec import GroupsFile, PeopleFile

    model = GroupsFile if kind == "groups" else PeopleFile
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://soptui.dev/schema/{kind}.schema.json"
    schema["title"] = f"soptui {kind}.toml"
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False) + "\n"
