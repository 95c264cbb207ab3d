"""AWS's own MSK IAM token, the oracle of Sluice's signer: the token
aws-msk-iam-sasl-signer-python makes for fixed credentials at a fixed time.

Usage: python msk_iam_token.py REGION ACCESS_KEY SECRET_KEY SESSION_TOKEN EPOCH_SECONDS
(SESSION_TOKEN "" for none). Prints one JSON object: {"token": ..., "expiry_ms": ...}.
Run it with TZ=UTC: the signer reads the signing time back as local time.
"""

import datetime
import json
import sys

import botocore.auth
from botocore.credentials import CredentialProvider, Credentials

from aws_msk_iam_sasl_signer import MSKAuthTokenProvider


class Fixed(CredentialProvider):
    METHOD = "fixed"

    def __init__(self, access_key, secret_key, token):
        super().__init__()
        self.credentials = Credentials(access_key, secret_key, token or None)

    def load(self):
        return self.credentials


def main():
    region, access_key, secret_key, token, epoch = sys.argv[1:6]
    now = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
    # botocore's signers read the clock through this one function.
    botocore.auth.get_current_datetime = lambda *args, **kwargs: now.replace(tzinfo=None)
    signed, expiry_ms = MSKAuthTokenProvider.generate_auth_token_from_credentials_provider(
        region, Fixed(access_key, secret_key, token)
    )
    print(json.dumps({"token": signed, "expiry_ms": expiry_ms}))


if __name__ == "__main__":
    main()
