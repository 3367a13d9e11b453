#!/usr/bin/env python3
"""Wait until PostgreSQL accepts a connection to the `postgres` database.

Called by /entrypoint.sh with the same --db_* options it passes to Odoo.
Exits 0 once a connection succeeds, 1 after --timeout seconds. The password is
never printed: only the host, port, user and the server's last error are.
"""
import argparse
import os
import sys
import time

import psycopg2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db_host")
    parser.add_argument("--db_port")
    parser.add_argument("--db_user")
    parser.add_argument("--db_password", default=os.environ.get("PGPASSWORD"))
    parser.add_argument("--timeout", type=float, default=30, help="seconds (default 30)")
    args, _unknown = parser.parse_known_args()

    params = {"dbname": "postgres", "connect_timeout": 5}
    for key, value in (("host", args.db_host), ("port", args.db_port),
                       ("user", args.db_user), ("password", args.db_password)):
        if value:
            params[key] = value

    deadline = time.monotonic() + args.timeout
    last_error = "no attempt made"
    while True:
        try:
            psycopg2.connect(**params).close()
            return 0
        except psycopg2.OperationalError as exc:
            last_error = str(exc).strip()
        if time.monotonic() >= deadline:
            break
        time.sleep(1)

    where = "%s:%s as %s" % (params.get("host", "(local socket)"),
                             params.get("port", "5432"), params.get("user", "(default)"))
    print("wait-for-psql: PostgreSQL at %s not ready after %gs: %s"
          % (where, args.timeout, last_error), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
