"""Admin command of the stack's own token issuer (issue 11, item 6):

    python -m flyte_core.tokens mint --claim groups=sre --ttl 30d [--subject deploy-bot]

prints a token signed with the stack's secret (`--secret-id`, default `$FLYTE_TOKEN_SECRET_ARN`; the
stack output `TokenSecretArn`). Give a claim more than once for a list (`--claim groups=sre
--claim groups=dev`). Needs read access to the secret, which is what makes it an admin command.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from botocore.exceptions import BotoCoreError, ClientError

from .http.auth.issuer import BuiltInIssuer, claims_from_pairs, parse_ttl


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flyte_core.tokens", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    mint = commands.add_parser("mint", help="print a new token")
    mint.add_argument(
        "--subject", "--sub", default=None, help="who the token is for, recorded with what it changes (default: your user name)"
    )
    mint.add_argument("--claim", action="append", default=[], metavar="NAME=VALUE", help="a claim; repeat a name for a list")
    mint.add_argument("--ttl", default="30d", help="lifetime: 30d, 12h, 15m, 90s (default 30d)")
    mint.add_argument(
        "--secret-id",
        default=os.environ.get("FLYTE_TOKEN_SECRET_ARN", ""),
        help="the stack's token secret (default $FLYTE_TOKEN_SECRET_ARN)",
    )
    args = parser.parse_args(argv)
    try:
        if not args.secret_id:
            raise ValueError("no secret: pass --secret-id (the stack output TokenSecretArn) or set FLYTE_TOKEN_SECRET_ARN")
        claims, ttl = claims_from_pairs(args.claim), parse_ttl(args.ttl)
        from .adapters.auth_store import AuthStore
        from .adapters.aws import Aws
        from .settings import AwsAccess

        issuer = BuiltInIssuer.from_secret(AuthStore(Aws(AwsAccess.from_environ())).secret_string(args.secret_id))
        print(issuer.mint(args.subject or getpass.getuser(), claims, ttl))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as error:
        print(f"error: cannot read the token secret {args.secret_id}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
