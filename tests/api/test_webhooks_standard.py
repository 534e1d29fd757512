"""P57: webhooks are also signed in the Standard Webhooks format, so a receiver
verifies them with the stock `standardwebhooks` verifier and the subscription's
secret in its "whsec_" form."""

import json

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from qualify.api.webhooks import deliver
from tests.api.test_webhooks import PERSON, hooks_client, sent, subscribe  # noqa: F401


@pytest.mark.requirement("P57", "P11")
def test_a_stock_standard_webhooks_verifier_accepts_the_request(
    hooks_client,  # noqa: F811
    plant,
    sent,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    calls, _ = sent
    secret = subscribe(hooks_client, ["person.job_assignment.started"])["secret"]
    with django_capture_on_commit_callbacks(execute=True):
        hooks_client.post("/api/v1/people/", PERSON, format="json")
    ((_url, body, headers),) = calls
    verifier = Webhook(deliver.standard_secret(secret))
    payload = verifier.verify(body.decode(), headers)
    assert payload == json.loads(body)
    assert headers["webhook-id"] == headers["X-Qualify-Delivery"]
    tampered = body.replace(b"W1", b"W2")
    with pytest.raises(WebhookVerificationError):
        verifier.verify(tampered.decode(), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(deliver.standard_secret("another secret")).verify(body.decode(), headers)
