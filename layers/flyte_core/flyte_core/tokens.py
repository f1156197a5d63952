"""Admin commands of the stack's own token issuer (issues 11 and 19):

    python -m flyte_core.tokens mint --pack Shell --ttl 30d
    python -m flyte_core.tokens mint --claim flyte_role=admin --ttl 7d [--subject ana]
    python -m flyte_core.tokens rotate --grace 1h

`mint` prints a token signed with the stack's secret (`--secret-id`, default
`$FLYTE_TOKEN_SECRET_ARN`; the stack output `TokenSecretArn`). Give a claim more than once for a list
(`--claim groups=sre --claim groups=dev`). `--pack NAME` mints a pack token bound to that pack. A
token lives at most 90 days. `rotate` writes a new signing key; tokens signed with the previous one
are accepted until the grace period ends. Both need access to the secret, which is what makes them
admin commands.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from .domain.callers import PACK_CLAIM
from .http.auth.issuer import BuiltInIssuer, SigningKeys, claims_from_pairs, new_key, parse_ttl

if TYPE_CHECKING:
    from .adapters.auth_store import AuthStore

PACK_ROLE = ("flyte_role", "pack")  # what the default policy asks of a pack token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flyte_core.tokens", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    mint = commands.add_parser("mint", help="print a new token")
    mint.add_argument(
        "--subject", "--sub", default=None, help="who the token is for, recorded with what it changes (default: your user name)"
    )
    mint.add_argument("--claim", action="append", default=[], metavar="NAME=VALUE", help="a claim; repeat a name for a list")
    mint.add_argument("--pack", default=None, metavar="NAME", help="a pack token that may act only as this pack")
    mint.add_argument("--ttl", default="30d", help="lifetime: 30d, 12h, 15m, 90s (default 30d, at most 90d)")
    rotate = commands.add_parser("rotate", help="sign with a new key; the previous one verifies until the grace period ends")
    rotate.add_argument("--grace", default="1h", help="how long tokens signed with the previous key stay valid (0 ends them now)")
    for command in (mint, rotate):
        command.add_argument(
            "--secret-id",
            default=os.environ.get("FLYTE_TOKEN_SECRET_ARN", ""),
            help="the stack's token secret (default $FLYTE_TOKEN_SECRET_ARN)",
        )
    args = parser.parse_args(argv)
    try:
        if not args.secret_id:
            raise ValueError("no secret: pass --secret-id (the stack output TokenSecretArn) or set FLYTE_TOKEN_SECRET_ARN")
        if args.command == "mint":
            claims, ttl = pack_claims(claims_from_pairs(args.claim), args.pack), parse_ttl(args.ttl)
            store = _store()
            issuer = BuiltInIssuer.from_secret(store.secret_string(args.secret_id))
            print(issuer.mint(args.subject or args.pack or getpass.getuser(), claims, ttl))
        else:
            grace = 0 if args.grace.strip() == "0" else parse_ttl(args.grace)
            store = _store()
            keys = SigningKeys.from_secret(store.secret_string(args.secret_id))
            now = time.time()
            store.put_secret_string(args.secret_id, json.dumps(keys.rotated(new_key(), grace, now)))
            until = datetime.fromtimestamp(now + grace, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            print(
                f"rotated: new tokens are signed with the new key; tokens signed with the previous one are accepted until "
                f"{until}. Every warm function reads the new key within a minute; mint new tokens now.",
                file=sys.stderr,
            )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as error:
        print(f"error: cannot use the token secret {args.secret_id}: {error}", file=sys.stderr)
        return 1
    return 0


def pack_claims(claims: dict, pack: str | None) -> dict:
    """The claims of a token: `--pack` binds it to one pack (and gives it the pack role), and a pack
    role without a binding is refused, since such a token could act as every pack (issue 19)."""
    if pack is not None:
        if not pack.strip():
            raise ValueError("--pack needs a pack name")
        if PACK_CLAIM in claims and claims[PACK_CLAIM] != pack:
            raise ValueError(f"--pack {pack!r} and --claim {PACK_CLAIM}={claims[PACK_CLAIM]!r} disagree")
        role = claims.get(PACK_ROLE[0])
        if role is None:
            role = PACK_ROLE[1]
        elif isinstance(role, list):
            role = role if PACK_ROLE[1] in role else [*role, PACK_ROLE[1]]
        elif role != PACK_ROLE[1]:
            role = [role, PACK_ROLE[1]]
        claims = {**claims, PACK_CLAIM: pack, PACK_ROLE[0]: role}
    role = claims.get(PACK_ROLE[0])
    if (role == PACK_ROLE[1] or (isinstance(role, list) and PACK_ROLE[1] in role)) and PACK_CLAIM not in claims:
        raise ValueError(
            f"a pack token is bound to one pack: mint it with --pack NAME (a {PACK_CLAIM} claim), not only {PACK_ROLE[0]}=pack"
        )
    return claims


def _store() -> AuthStore:
    from .adapters.auth_store import AuthStore
    from .adapters.aws import Aws
    from .settings import AwsAccess

    return AuthStore(Aws(AwsAccess.from_environ()))


if __name__ == "__main__":
    sys.exit(main())
