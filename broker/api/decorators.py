"""JSON shapes of the broker's resources (reference: api/decorators/*). Routers call these; services never do.

Each function takes the URL builder and already-loaded rows, so building a body never runs a query.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from broker.api.hal import Link, Urls, link, timestamp, with_timestamps
from broker.db.models import (
    BranchVersion,
    DeployedVersion,
    Environment,
    Pacticipant,
    ReleasedVersion,
    Tag,
    Verification,
    Version,
)
from broker.pacts import content as pact_content
from broker.pacts.repository import PactRow

Json = dict[str, Any]


def display_name(name: str) -> str:
    """The reference's generated display name: "sample-tracker" / "sampleTracker" -> "Sample Tracker"."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    words = re.sub(r"[-_\s]+", " ", words).strip()
    return " ".join(w[:1].upper() + w[1:] for w in words.split(" ")) or name


# --- pacticipants -----------------------------------------------------------------------------------


def pacticipant_links(urls: Urls, name: str) -> dict[str, Link]:
    base = urls.pacticipant(name)
    return {
        "self": link(base),
        "pb:versions": link(base + "/versions"),
        "pb:version": link(
            base + "/versions/{version}", title="Get, create or delete a pacticipant version", templated=True
        ),
        "pb:version-tag": link(
            base + "/versions/{version}/tags/{tag}",
            title="Get, create or delete a tag for a version",
            templated=True,
        ),
        "pb:branch-version": link(
            base + "/branches/{branch}/versions/{version}",
            title="Get or add/create a version for a branch",
            templated=True,
        ),
        "pb:branches": link(base + "/branches"),
        "pb:latest-version": link(base + "/latest-version", title="Latest version"),
        "pb:can-i-deploy-badge": link(
            base + "/latest-version/{tag}/can-i-deploy/to/{environment}/badge", templated=True
        ),
        "pb:label": link(base + "/labels/{label}", templated=True),
    }


def pacticipant_summary(urls: Urls, p: Pacticipant) -> Json:
    return {"name": p.name, "_links": {"self": link(urls.pacticipant(p.name))}}


def pacticipant(urls: Urls, p: Pacticipant, latest: Version | None = None) -> Json:
    body: Json = {
        "name": p.name,
        "displayName": p.display_name or display_name(p.name),
        "repositoryUrl": p.repository_url,
        "mainBranch": p.main_branch,
    }
    with_timestamps(body, p.created_at, p.updated_at)
    body["_embedded"] = {"labels": []}
    if latest is not None:
        summary = version_summary(urls, p.name, latest)
        body["_embedded"]["latestVersion"] = summary
        body["_embedded"]["latest-version"] = summary  # deprecated spelling the Ruby client still reads
    body["_links"] = pacticipant_links(urls, p.name)
    body["_links"]["versions"] = link(urls.pacticipant(p.name) + "/versions", title="Versions")  # deprecated
    return body


# --- versions, tags, branches -----------------------------------------------------------------------


def tag(urls: Urls, pacticipant_name: str, version_number: str, t: Tag, latest: bool | None = None) -> Json:
    body: Json = {"name": t.name}
    if latest is not None:
        body["latest"] = latest
    with_timestamps(body, t.created_at, t.updated_at)
    body["_links"] = {
        "self": link(urls.tag(pacticipant_name, version_number, t.name), title="Tag", name=t.name),
        "pb:version": link(
            urls.version(pacticipant_name, version_number), title="Version", name=version_number
        ),
        "pb:pacticipant": link(
            urls.pacticipant(pacticipant_name), title="Pacticipant", name=pacticipant_name
        ),
    }
    return body


def branch_version(
    urls: Urls, pacticipant_name: str, version_number: str, bv: BranchVersion, latest: bool | None
) -> Json:
    body: Json = {"name": bv.branch_name}
    if latest is not None:
        body["latest"] = latest
    with_timestamps(body, bv.created_at, bv.updated_at)
    body["_links"] = {
        "self": link(
            urls.branch_version(pacticipant_name, bv.branch_name, version_number),
            title="Branch version",
            name=bv.branch_name,
        ),
        "pb:branch": link(urls.branch(pacticipant_name, bv.branch_name), title="Branch", name=bv.branch_name),
        "pb:version": link(
            urls.version(pacticipant_name, version_number), title="Version", name=version_number
        ),
    }
    return body


def version(
    urls: Urls,
    p: Pacticipant,
    v: Version,
    *,
    tags: Sequence[Tag] = (),
    latest_tags: dict[str, int] | None = None,
    branch_versions: Sequence[BranchVersion] = (),
    head_version_ids: dict[int, int] | None = None,
    environments: Sequence[Environment] = (),
    pacts: Sequence[PactRow] = (),
    deployed_to: Sequence[Environment] = (),
    released_to: Sequence[Environment] = (),
) -> Json:
    base = urls.version(p.name, v.number)
    heads = head_version_ids or {}
    body: Json = {"number": v.number, "buildUrl": v.build_url}
    with_timestamps(body, v.created_at, v.updated_at)
    body["_embedded"] = {
        "branchVersions": [
            branch_version(urls, p.name, v.number, bv, heads.get(bv.branch_id) == v.id)
            for bv in branch_versions
        ],
        "tags": [
            tag(
                urls,
                p.name,
                v.number,
                t,
                (latest_tags or {}).get(t.name) == v.id if latest_tags is not None else None,
            )
            for t in tags
        ],
    }
    body["_links"] = {
        "self": link(base, title="Version", name=v.number),
        "pb:pacticipant": link(urls.pacticipant(p.name), title="Pacticipant", name=p.name),
        "pb:tag": link(
            base + "/tags/{tag}",
            title="Get, create or delete a tag for this pacticipant version",
            templated=True,
        ),
        "pb:latest-verification-results-where-pacticipant-is-consumer": link(
            urls("verification-results", "consumer", p.name, "version", v.number, "latest"),
            title="Latest verification results for consumer version",
        ),
        "pb:pact-versions": [
            link(
                urls.pact(r.provider.name, p.name, v.number),
                title="Pact",
                name=f"Pact between {p.name} ({v.number}) and {r.provider.name}",
            )
            for r in pacts
        ],
        "pb:record-deployment": [
            link(
                f"{base}/deployed-versions/environment/{e.uuid}",
                title=f"Record deployment to {e.display_name or display_name(e.name)}",
                name=e.name,
            )
            for e in environments
        ],
        "pb:record-release": [
            link(
                f"{base}/released-versions/environment/{e.uuid}",
                title=f"Record release to {e.display_name or display_name(e.name)}",
                name=e.name,
            )
            for e in environments
        ],
        # where this version is currently deployed / released and supported
        "pb:deployed-environments": [
            link(urls.environment(e.uuid), title="Environment", name=e.name) for e in deployed_to
        ],
        "pb:released-environments": [
            link(urls.environment(e.uuid), title="Environment", name=e.name) for e in released_to
        ],
    }
    return body


def version_summary(urls: Urls, pacticipant_name: str, v: Version) -> Json:
    return {
        "number": v.number,
        "_links": {"self": link(urls.version(pacticipant_name, v.number), title="Version", name=v.number)},
    }


# --- pacts ------------------------------------------------------------------------------------------


def pact_title(row: PactRow) -> str:
    return f"Pact between {row.consumer.name} ({row.consumer_version.number}) and {row.provider.name}"


def pact(urls: Urls, row: PactRow, metadata: str | None = None) -> Json:
    """The pact JSON merged with `_links` (and `_id` per interaction), as the verifier reads it."""
    body = pact_content.with_ids(json.loads(row.pact_version.content))
    c, p, cv, sha = row.consumer.name, row.provider.name, row.consumer_version.number, row.pact_version.sha
    pair = urls("pacts", "provider", p, "consumer", c)
    body["createdAt"] = timestamp(row.publication.created_at)
    body["_links"] = {
        "self": link(urls.pact(p, c, cv), title="Pact", name=pact_title(row)),
        "pb:consumer": link(urls.pacticipant(c), title="Consumer", name=c),
        "pb:consumer-version": link(urls.version(c, cv), title="Consumer version", name=cv),
        "pb:provider": link(urls.pacticipant(p), title="Provider", name=p),
        "pb:pact-version": link(
            urls.pact_version(p, c, sha), title="Pact content version permalink", name=sha
        ),
        "pb:latest-pact-version": link(pair + "/latest", title="Latest version of this pact"),
        "pb:all-pact-versions": link(pair + "/versions", title="All versions of this pact"),
        "pb:latest-untagged-pact-version": link(
            pair + "/latest-untagged", title="Latest untagged version of this pact"
        ),
        "pb:latest-tagged-pact-version": link(
            pair + "/latest/{tag}", title="Latest tagged version of this pact", templated=True
        ),
        "pb:previous-distinct": link(
            urls.pact(p, c, cv) + "/previous-distinct", title="Previous distinct version of this pact"
        ),
        "pb:diff-previous-distinct": link(
            urls.pact(p, c, cv) + "/diff/previous-distinct",
            title="Diff with previous distinct version of this pact",
        ),
        "pb:diff": link(
            urls.pact_version(p, c, sha) + "/diff/pact-version/{pactVersion}",
            title="Diff with another specified version of this pact",
            templated=True,
        ),
        "pb:pact-webhooks": link(pair + "/webhooks", title=f"Webhooks for the pact between {c} and {p}"),
        "pb:consumer-webhooks": link(
            urls("webhooks", "consumer", c), title=f"Webhooks for all pacts with consumer {c}"
        ),
        "pb:tag-prod-version": link(
            urls.tag(c, cv, "prod"), title="PUT to this resource to tag this consumer version as 'production'"
        ),
        "pb:tag-version": link(
            urls.version(c, cv) + "/tags/{tag}",
            title="PUT to this resource to tag this consumer version",
            templated=True,
        ),
        "pb:publish-verification-results": link(
            urls.verification_results(p, c, sha, metadata), title="Publish verification results"
        ),
        "pb:latest-verification-results": link(
            urls.verification_results(p, c, sha) + "/latest", title="Latest verification results"
        ),
        "pb:triggered-webhooks": link(
            urls.pact(p, c, cv) + "/triggered-webhooks",
            title="Webhooks triggered by the publication of this pact",
        ),
        "pb:matrix-for-consumer-version": link(
            urls.templated(
                "/matrix?" + urlencode([("q[][pacticipant]", c), ("q[][version]", cv), ("latestby", "cvpv")])
            ),
            title="View matrix rows for the consumer version to which this pact belongs",
        ),
        "curies": [{"name": "pb", "href": urls.templated("/doc/{rel}?context=pact"), "templated": True}],
    }
    return body


def pact_list_entry(urls: Urls, row: PactRow) -> Link:
    return link(
        urls.pact(row.provider.name, row.consumer.name, row.consumer_version.number),
        title=pact_title(row),
        name=row.consumer.name,
    )


def provider_pacts(
    urls: Urls, provider: Pacticipant, rows: Sequence[PactRow], self_href: str, title: str
) -> Json:
    """`/pacts/provider/{p}/latest` and friends (reference: provider_pacts_decorator.rb)."""
    entries = [pact_list_entry(urls, r) for r in rows]
    return {
        "_links": {
            "self": link(self_href, title=title),
            "pb:provider": link(urls.pacticipant(provider.name), title="Provider", name=provider.name),
            "pb:pacts": entries,
            "provider": link(urls.pacticipant(provider.name), title=provider.name),
            "pacts": entries,
        }
    }


def latest_pacts(urls: Urls, rows: Sequence[PactRow], self_href: str) -> Json:
    """`/pacts/latest` (reference: latest_pacts_decorator.rb), read by `list-latest-pact-versions`."""
    pacts_json = []
    for r in rows:
        pacts_json.append(
            {
                "createdAt": timestamp(r.publication.created_at),
                "_embedded": {
                    "consumer": {
                        "name": r.consumer.name,
                        "_links": {"self": link(urls.pacticipant(r.consumer.name))},
                        "_embedded": {"version": version_summary(urls, r.consumer.name, r.consumer_version)},
                    },
                    "provider": {
                        "name": r.provider.name,
                        "_links": {"self": link(urls.pacticipant(r.provider.name))},
                    },
                },
                "_links": {
                    # as the reference's latest_pacts_decorator.rb: the "latest" URL, then the versioned one
                    "self": [
                        link(
                            urls("pacts", "provider", r.provider.name, "consumer", r.consumer.name, "latest")
                        ),
                        link(
                            urls.pact(r.provider.name, r.consumer.name, r.consumer_version.number),
                            title="Pact",
                            name=pact_title(r),
                        ),
                    ]
                },
            }
        )
    return {"_links": {"self": link(self_href)}, "pacts": pacts_json}


# --- verifications ----------------------------------------------------------------------------------


def verification(
    urls: Urls,
    row: PactRow | None,
    v: Verification,
    provider_version: Version,
    consumer: str,
    provider: str,
    sha: str,
) -> Json:
    verified_by = json.loads(v.verified_by) if v.verified_by else {}
    body: Json = {
        "providerName": provider,
        "providerApplicationVersion": provider_version.number,
        "success": v.success,
        "verificationDate": timestamp(v.execution_date),
        "buildUrl": v.build_url,
        "testResults": json.loads(v.test_results) if v.test_results else None,
        "verifiedBy": verified_by,
        "number": v.number,
    }
    if v.wip:
        body["wip"] = True
    if v.pact_pending is not None:
        body["pactPending"] = v.pact_pending
    body["_links"] = {
        "self": link(
            urls.verification(provider, consumer, sha, v.number),
            title="Verification result",
            name=f"Verification result {v.number} for {pact_title(row) if row else sha}",
        ),
        "pb:pact-version": link(
            urls.pact_version(provider, consumer, sha), title="Pact", name=pact_title(row) if row else sha
        ),
        "pb:provider-version": link(
            urls.version(provider, provider_version.number),
            title="Provider version",
            name=provider_version.number,
        ),
        "pb:triggered-webhooks": link(
            urls.verification(provider, consumer, sha, v.number) + "/triggered-webhooks",
            title="Webhooks triggered by the publication of this verification result",
        ),
    }
    return body


# --- environments, deployments, releases ------------------------------------------------------------


def environment(urls: Urls, e: Environment) -> Json:
    body: Json = {
        "uuid": e.uuid,
        "name": e.name,
        "displayName": e.display_name or display_name(e.name),
        "production": e.production,
    }
    if e.contacts:
        body["contacts"] = json.loads(e.contacts)
    with_timestamps(body, e.created_at, e.updated_at)
    base = urls.environment(e.uuid)
    body["_links"] = {
        "self": link(base, title="Environment", name=e.name),
        "pb:currently-deployed-deployed-versions": link(
            base + "/deployed-versions/currently-deployed",
            title="Versions currently deployed to this environment",
        ),
        "pb:currently-supported-released-versions": link(
            base + "/released-versions/currently-supported",
            title="Versions released and supported in this environment",
        ),
        "pb:environments": link(urls("environments"), title="Environments"),
    }
    return body


def deployed_version(urls: Urls, d: DeployedVersion, v: Version, p: Pacticipant, e: Environment) -> Json:
    body: Json = {
        "uuid": d.uuid,
        "currentlyDeployed": d.undeployed_at is None,
        "applicationInstance": d.target,
        "target": d.target,
        "undeployedAt": timestamp(d.undeployed_at),
    }
    with_timestamps(body, d.created_at, d.updated_at)
    return _in_environment(body, urls, urls.deployed_version(d.uuid), "Deployed version", v, p, e)


def released_version(urls: Urls, r: ReleasedVersion, v: Version, p: Pacticipant, e: Environment) -> Json:
    body: Json = {
        "uuid": r.uuid,
        "currentlySupported": r.support_ended_at is None,
        "supportEndedAt": timestamp(r.support_ended_at),
    }
    with_timestamps(body, r.created_at, r.updated_at)
    return _in_environment(body, urls, urls.released_version(r.uuid), "Released version", v, p, e)


def _in_environment(
    body: Json, urls: Urls, self_href: str, title: str, v: Version, p: Pacticipant, e: Environment
) -> Json:
    """The embedded resources and links a deployed and a released version share."""
    body["_embedded"] = {
        "pacticipant": pacticipant_summary(urls, p),
        "version": version_summary(urls, p.name, v),
        "environment": {
            "uuid": e.uuid,
            "name": e.name,
            "displayName": e.display_name or display_name(e.name),
            "_links": {"self": link(urls.environment(e.uuid), name=e.name)},
        },
    }
    body["_links"] = {
        "self": link(self_href, title=title, name=f"{p.name} {v.number} in {e.name}"),
        "pb:pacticipant": link(urls.pacticipant(p.name), title="Pacticipant", name=p.name),
        "pb:version": link(urls.version(p.name, v.number), title="Version", name=v.number),
        "pb:environment": link(urls.environment(e.uuid), title="Environment", name=e.name),
    }
    return body
