"""OpenAPI generation for the researcher API: every operation documents its error responses."""

from drf_spectacular.openapi import AutoSchema

_ERROR_BODY = {
    "application/json": {
        "schema": {
            "type": "object",
            "additionalProperties": True,
            "description": 'Field errors ({"field": ["message"]}) or {"detail": "message"}.',
        }
    }
}
ERRORS = {
    "400": "Invalid input: the body names each offending field.",
    "401": "No or invalid credentials (send `Authorization: Token <key>`).",
    "403": "Not a researcher, or not allowed to change this batch.",
    "404": "No such object among the batches you may see, or an invalid cursor.",
    "405": "Method not allowed.",
    "429": "Too many requests for this token; retry after the Retry-After header.",
}


class ResearcherAutoSchema(AutoSchema):
    """drf-spectacular's schema plus the error responses DRF returns on every endpoint."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        # Django refuses NUL characters in form input (filters), so say so in the schema.
        for parameter in (operation or {}).get("parameters", []):
            schema = parameter.get("schema", {})
            if (
                parameter["in"] == "query"
                and schema.get("type") == "string"
                and not ({"enum", "format", "pattern"} & set(schema))
            ):
                schema["pattern"] = "^[^\\x00]*$"
        return operation

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response":
            for code, description in ERRORS.items():
                responses.setdefault(code, {"description": description, "content": _ERROR_BODY})
        return responses
