"""Webhooks: HTTP callbacks the broker makes when contracts or verification results are published.

`service` holds the rules (CRUD, validation, `fire` for events, test execution), `repository` the SQL,
`execution` renders and sends one request, `dispatcher` runs triggered webhooks off the request thread
with bounded retries. The HTTP edge is `broker.api.webhooks`.
"""
