"""Runs the Python client that openapi-python-client generated from a live Croft's document
against that server. Usage: client.py DIR_WITH_croft_client BASE_URL TOKEN
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
from croft_client import AuthenticatedClient  # noqa: E402
from croft_client.api.collection_posts import create_posts_record, list_posts_records, view_posts_record  # noqa: E402
from croft_client.models import ErrorBody, PostsCreate, PostsCreateStatus, PostsList, PostsRecord  # noqa: E402

base, token = sys.argv[2], sys.argv[3]
# Croft, as PocketBase, takes the bare token.
client = AuthenticatedClient(base_url=base, token=token, prefix="")

post = create_posts_record.sync(client=client, body=PostsCreate(title="From Python", views=7, status=PostsCreateStatus.DRAFT))
assert isinstance(post, PostsRecord), post
page = list_posts_records.sync(client=client, filter_="views = 7", sort="-created")
assert isinstance(page, PostsList), page
same = view_posts_record.sync(id=post.id, client=client)
assert isinstance(same, PostsRecord), same
refused = create_posts_record.sync(client=client, body=PostsCreate(title="x" * 101))
assert isinstance(refused, ErrorBody), refused
print(json.dumps({
    "title": same.title,
    "views": same.views,
    "status": str(same.status),
    "listed": [p.id for p in page.items] == [post.id],
    "error_status": refused.status,
    "error_fields": sorted(refused.data.additional_properties),
}))
