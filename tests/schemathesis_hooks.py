"""Schemathesis hooks for tests/openapi_check.py.

`fields` picks a subset of a record's keys by design (the parameter's description says so), so an
answer to a request with it cannot match the record schema, whose `required` describes full
answers. Generated requests go without it; tests/api covers `fields` itself.
"""
import schemathesis


@schemathesis.hook
def map_query(context, query):
    if query:
        query.pop("fields", None)
    return query
