"""Builds a benchmark database: N prescriptions with proportional people, dispenses, children,
powers of attorney and access-log entries, loaded with COPY (psycopg 3's cursor.copy).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_bench_10k BENCHMARK=1 \
        python -m bench.datagen --prescriptions 10000 [--rebuild]

The database is created if missing and migrated. A database already built by this generator
version at the same size (and not older than MAX_AGE_DAYS, since validity is relative to the build
day) is reused; `--rebuild` drops and builds it again. The stamp lives in the database's comment.

Every identity number is synthetic (Tenor style, month + 80) and passes prescriptions.identity.
"""

import argparse
import datetime
import json
import os
import random
import sys
import time
import uuid
from decimal import Decimal
from urllib.parse import urlparse

GENERATOR_VERSION = 4
MAX_AGE_DAYS = 20

# Proportions per prescription (the old service: 5.5 million people, a few prescriptions each).
PEOPLE_PER_PRESCRIPTION = 0.25
CHILD_SHARE = 0.18  # under 16
POA_SHARE = 0.02  # of people, as grantors
ACCESS_LOG_PER_PRESCRIPTION = 1.0
MEDICATIONS = 400
PHARMACIES = 1000
PRACTITIONERS = 5000

# The benchmark's users: each has exactly 20 valid prescriptions and 100 dispenses.
BENCH_USERS = 64
BENCH_VALID = 20
BENCH_HISTORY = 10
BENCH_DISPENSES = 100
BENCH_ACCESS_LOG = 200
SAML_USERS = 256  # adults without a user, logged in by the SAML benchmark

GIVEN = ["Kari", "Ola", "Ingrid", "Per", "Anne", "Lars", "Nora", "Jonas", "Emma", "Nils", "Sofie", "Henrik",
         "Maja", "Olav", "Ida", "Magnus", "Astrid", "Erik", "Sara", "Jakob", "Berit", "Knut", "Liv", "Tor"]
FAMILY = ["Nordmann", "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen",
          "Jensen", "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen", "Dahl", "Lunde"]
DRUGS = [("Metformin", "tablett", "500 mg", "A10BA02"), ("Atorvastatin", "tablett", "20 mg", "C10AA05"),
         ("Losartan", "tablett", "50 mg", "C09CA01"), ("Cetirizin", "tablett", "10 mg", "R06AE07"),
         ("Sertralin", "tablett", "50 mg", "N06AB06"), ("Amoxicillin", "kapsel", "500 mg", "J01CA04"),
         ("Ibuprofen", "tablett", "400 mg", "M01AE01"), ("Levotyroksin", "tablett", "100 mikrog", "H03AA01"),
         ("Salbutamol", "inhalasjonsaerosol", "0,1 mg/dose", "R03AC02"), ("Acetylsalisylsyre", "tablett", "75 mg", "B01AC06"),
         ("Paracetamol", "tablett", "500 mg", "N02BE01"), ("Zopiklon", "tablett", "7,5 mg", "N05CF01"),
         ("Oksykodon", "kapsel", "5 mg", "N02AA05"), ("Hydrokortison", "krem", "1 %", "D07AA02"),
         ("Omeprazol", "kapsel", "20 mg", "A02BC01"), ("Amlodipin", "tablett", "5 mg", "C08CA01")]
MAKERS = ["Sandoz", "Krka", "Mylan", "Teva", "Orion", "Accord", "Actavis", "Hexal", "Bluefish", "Stada"]


def _log(message: str) -> None:
    print(f"[datagen] {message}", file=sys.stderr, flush=True)


# --- database creation and the reuse stamp (no Django needed) -------------------------------------


def _admin_dsn(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    return parsed._replace(path="/postgres").geturl(), name


def stamp_for(prescriptions: int) -> dict:
    return {"generator": GENERATOR_VERSION, "prescriptions": prescriptions}


def read_stamp(url: str) -> dict | None:
    import psycopg

    admin, name = _admin_dsn(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
    if row is None:
        return None
    try:
        return json.loads(row[0] or "")
    except ValueError:
        return {}


def ensure_database(url: str, prescriptions: int, rebuild: bool) -> bool:
    """Creates (or recreates) the database; True when it must be (re)filled."""
    import psycopg
    from psycopg import sql

    admin, name = _admin_dsn(url)
    stamp = read_stamp(url)
    wanted = stamp_for(prescriptions)
    if stamp is not None and not rebuild:
        fresh = stamp.get("built_on") and (
            datetime.date.today() - datetime.date.fromisoformat(stamp["built_on"])
        ).days <= MAX_AGE_DAYS
        if all(stamp.get(k) == v for k, v in wanted.items()) and fresh:
            _log(f"reusing {name} (built {stamp['built_on']}, {prescriptions} prescriptions)")
            return False
        _log(f"{name} exists but was built by another generator version, size or too long ago: rebuilding")
    with psycopg.connect(admin, autocommit=True) as conn:
        if stamp is not None:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def write_stamp(url: str, prescriptions: int, seconds: float, counts: dict) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _admin_dsn(url)
    stamp = {
        **stamp_for(prescriptions), "built_on": datetime.date.today().isoformat(), "seconds": round(seconds, 1),
        "counts": counts,
    }
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(json.dumps(stamp)))
        )


# --- synthetic identity numbers ----------------------------------------------------------------


class NumberSource:
    """Unique synthetic numbers (month + 80) for given birth dates, computed arithmetically with
    the check-digit rules of prescriptions.identity, and cross-checked with its parser."""

    def __init__(self):
        from prescriptions import identity

        self.identity = identity
        self.next_individual: dict[datetime.date, int] = {}

    def number(self, birth: datetime.date) -> str | None:
        yy = birth.year % 100
        # 1900-1999: 000-499; 2000-2039: 500-999 (the century rules of the identity module).
        start, stop = (0, 500) if birth.year < 2000 else (500, 1000)
        candidate = self.next_individual.get(birth, start)
        prefix = f"{birth.day:02d}{birth.month + 80:02d}{yy:02d}"
        while candidate < stop:
            first9 = f"{prefix}{candidate:03d}"
            candidate += 1
            digits = self.identity.check_digits(first9)
            if digits is not None:
                self.next_individual[birth] = candidate
                return f"{first9}{digits[0]}{digits[1]}"
        self.next_individual[birth] = stop
        return None


# --- the generator ----------------------------------------------------------------------------


class Copier:
    """COPY rows into a model's table. Columns the generator does not know (added by a later
    migration) get the field's default, so new nullable or defaulted fields need no change here."""

    def __init__(self, cursor, model, columns: list[str]):
        from django.db.models import NOT_PROVIDED

        self.cursor = cursor
        self.model = model
        self.columns = list(columns)
        self.fillers = []
        now = datetime.datetime.now(datetime.UTC)
        for field in model._meta.concrete_fields:
            if field.column in self.columns or field.attname in self.columns:
                continue
            if getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
                continue
            if field.has_default():
                default = field.default
                self.fillers.append((field.column, default if callable(default) else (lambda d=field.get_default(): d)))
            elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                self.fillers.append((field.column, lambda: now))
            elif field.null:
                continue
            elif field.blank and field.get_internal_type() in ("CharField", "TextField"):
                self.fillers.append((field.column, lambda: ""))
            else:
                raise SystemExit(f"bench/datagen.py does not know how to fill {model.__name__}.{field.name}")
        self.all_columns = self.columns + [column for column, _ in self.fillers]
        self.count = 0

    def __enter__(self):
        from psycopg import sql

        table = self.model._meta.db_table
        self.cursor.execute(
            "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0", [table]
        )
        oids = dict(self.cursor.fetchall())
        # Binary COPY: PostgreSQL skips parsing text, psycopg packs values in C.
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, self.all_columns))
        )
        self._cm = self.cursor.copy(statement)
        self.copy = self._cm.__enter__()
        self.copy.set_types([oids[column] for column in self.all_columns])
        return self

    def row(self, values) -> None:
        if self.fillers:
            values = (*values, *(fill() for _, fill in self.fillers))
        self.copy.write_row(values)
        self.count += 1

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def _defer_indexes(cur, tables: list[str]) -> list[str]:
    """Drops the secondary indexes and unique constraints of `tables` (primary keys stay) and returns
    the statements that recreate them: one sorted build after the load beats millions of inserts."""
    cur.execute(
        """SELECT format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s', rel.relname, con.conname, pg_get_constraintdef(con.oid)),
                  format('ALTER TABLE %%I DROP CONSTRAINT %%I', rel.relname, con.conname)
           FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
           WHERE con.contype = 'u' AND rel.relname = ANY(%s)""",
        [tables],
    )
    constraints = cur.fetchall()
    cur.execute(
        """SELECT i.indexdef, format('DROP INDEX %%I', i.indexname)
           FROM pg_indexes i
           WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
        [tables],
    )
    indexes = cur.fetchall()
    for _, drop in constraints + indexes:
        cur.execute(drop)
    return [create for create, _ in constraints + indexes]


def _birth(rng: random.Random, today: datetime.date, min_age: int, max_age: int) -> datetime.date:
    days = rng.randint(min_age * 365 + 30, max_age * 365 + 300)
    return today - datetime.timedelta(days=days)


def generate(prescriptions: int, seed: int = 20260501) -> dict:
    from django.db import connection

    from myprescriptions.accounts.models import User
    from prescriptions import identity
    from prescriptions.models import (
        AccessLogEntry,
        Dispense,
        Medication,
        Person,
        Pharmacy,
        Practitioner,
        Prescription,
    )
    from proxies.models import ParentalResponsibility, PowerOfAttorney

    rng = random.Random(seed)
    today = datetime.date.today()
    now = datetime.datetime.now(datetime.UTC)
    numbers = NumberSource()
    counts: dict[str, int] = {}
    started = time.monotonic()

    connection.ensure_connection()
    raw = connection.connection
    raw.autocommit = False
    with raw.cursor() as cur:
        # Bulk load: no per-row foreign-key triggers (the generator only writes consistent ids),
        # no WAL flush per commit. Indexes stay; PostgreSQL maintains them during COPY.
        cur.execute("SET session_replication_role = replica")
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET maintenance_work_mem = '256MB'")
        recreate = _defer_indexes(cur, [m._meta.db_table for m in (
            Person, Prescription, Dispense, AccessLogEntry, ParentalResponsibility, PowerOfAttorney)])

        # Catalogues: constant size.
        with Copier(cur, Medication, ["id", "code", "name", "form", "strength", "atc_code", "package_number"]) as c:
            for i in range(1, MEDICATIONS + 1):
                name, form, strength, atc = DRUGS[i % len(DRUGS)]
                c.row((i, f"BM{i:05d}", f"{name} {MAKERS[i % len(MAKERS)]}", form, strength, atc, f"{100000 + i}"))
        with Copier(cur, Pharmacy, ["id", "identifier", "name"]) as c:
            for i in range(1, PHARMACIES + 1):
                c.row((i, f"70800{i:08d}", f"Apotek {FAMILY[i % len(FAMILY)]} {i}"))
        with Copier(cur, Practitioner, ["id", "hpr_number", "name"]) as c:
            for i in range(1, PRACTITIONERS + 1):
                c.row((i, f"{8000000 + i}", f"Dr. {GIVEN[i % len(GIVEN)]} {FAMILY[(i * 7) % len(FAMILY)]}"))

        # People: regular population, then benchmark users and SAML users (adults, no protection).
        regular = max(int(prescriptions * PEOPLE_PER_PRESCRIPTION), 200)
        total_people = regular + BENCH_USERS + SAML_USERS
        adults: list[int] = []
        elderly: list[int] = []
        children: list[tuple[int, datetime.date]] = []
        bench_ids: list[int] = []
        saml_ids: list[int] = []
        person_columns = ["id", "national_id", "given_name", "family_name", "birth_date", "protected_address",
                          "date_of_death"]
        checked = 0
        with Copier(cur, Person, person_columns) as c:
            person_id = 0
            while person_id < total_people:
                index = person_id
                if index < regular:
                    child = rng.random() < CHILD_SHARE
                    birth = _birth(rng, today, 0, 15) if child else _birth(rng, today, 16, 95)
                elif index < regular + BENCH_USERS:
                    child, birth = False, _birth(rng, today, 30, 60)
                else:
                    child, birth = False, _birth(rng, today, 20, 80)
                number = numbers.number(birth)
                if number is None:  # every individual number for that day used up: pick another day
                    continue
                if person_id % 97 == 0:
                    identity.parse(number)  # the arithmetic agrees with the validator
                    checked += 1
                person_id += 1
                special = index >= regular
                protected = "" if special or rng.random() > 0.002 else rng.choice("67")
                died = None
                if not special and not child and rng.random() < 0.005:
                    died = today - datetime.timedelta(days=rng.randint(1, 2000))
                c.row((person_id, number, rng.choice(GIVEN), rng.choice(FAMILY), birth, protected, died))
                if index < regular:
                    age = (today - birth).days // 365
                    if child:
                        children.append((person_id, birth))
                    elif died is None and not protected:
                        adults.append(person_id)
                        if age >= 70:
                            elderly.append(person_id)
                elif index < regular + BENCH_USERS:
                    bench_ids.append(person_id)
                else:
                    saml_ids.append(person_id)
        counts["people"] = total_people
        _log(f"people: {total_people} ({time.monotonic() - started:.1f} s)")

        # Children: one or two parents each; every benchmark user is a parent too.
        link_id = 0
        with Copier(cur, ParentalResponsibility, ["id", "parent_id", "child_id"]) as c:
            for child_id, _ in children:
                for parent in rng.sample(adults, 2 if rng.random() < 0.6 else 1):
                    link_id += 1
                    c.row((link_id, parent, child_id))
            for n, bench_id in enumerate(bench_ids):
                link_id += 1
                c.row((link_id, bench_id, children[n % len(children)][0]))
        counts["parental_links"] = link_id

        # Powers of attorney: mostly from the elderly; a fifth of them ended.
        poa_id = 0
        pairs = set()
        grantors = elderly or adults
        with Copier(
            cur, PowerOfAttorney,
            ["id", "grantor_id", "holder_id", "starts_on", "ends_on", "created_at", "ended_at", "ended_by_id"],
        ) as c:
            for _ in range(int(total_people * POA_SHARE)):
                grantor, holder = rng.choice(grantors), rng.choice(adults)
                if grantor == holder or (grantor, holder) in pairs:
                    continue
                pairs.add((grantor, holder))
                starts = today - datetime.timedelta(days=rng.randint(10, 1500))
                ends = None if rng.random() < 0.7 else starts + datetime.timedelta(days=rng.randint(400, 2000))
                ended_at = ended_by = None
                if rng.random() < 0.2:
                    ended_at = now - datetime.timedelta(days=rng.randint(1, 9))
                    ended_by = rng.choice((grantor, holder))
                poa_id += 1
                c.row((poa_id, grantor, holder, starts, ends, now - datetime.timedelta(days=1), ended_at, ended_by))
        counts["powers_of_attorney"] = poa_id

        # Prescriptions and dispenses.
        presc_columns = ["id", "public_id", "identifier", "patient_id", "medication_id", "prescriber_id",
                         "dispensing_group", "dosage_text", "indication", "issued_on", "earliest_dispense_on",
                         "expires_on", "reiterations", "quantity_per_dispense", "quantity_unit",
                         "substitution_reserved", "blue_basis", "blue_code", "status", "locked", "locked_reference",
                         "guardian_reserved"]
        disp_columns = ["id", "identifier", "prescription_id", "patient_id", "handed_over_at", "pharmacy_id",
                        "medication_id", "quantity", "substituted", "status"]
        presc_id = 0
        disp_rows: list[tuple] = []
        quantities = [Decimal(q) for q in ("28", "30", "50", "98", "100", "1")]
        getrandbits = rng.getrandbits

        def add_prescription(c, patient, kind, dispenses_wanted=None, reit=None):
            """kind: valid / expired / used_up / cancelled / upcoming."""
            nonlocal presc_id
            presc_id += 1
            med = rng.randint(1, MEDICATIONS)
            group = "C" if rng.random() < 0.9 or reit is not None else rng.choice("AB")
            if reit is None:
                reit = 0 if group != "C" else rng.choice((0, 1, 3, 5, 11))
            if kind == "expired":
                issued = today - datetime.timedelta(days=rng.randint(400, 1500))
                expires = issued + datetime.timedelta(days=365)
            elif kind == "upcoming":
                issued = today - datetime.timedelta(days=rng.randint(1, 20))
                expires = today + datetime.timedelta(days=rng.randint(100, 300))
            else:
                # Benchmark users' valid prescriptions stay valid, and not "expiring soon", for as long
                # as the database may be reused.
                newest = 365 - MAX_AGE_DAYS - 40 if kind == "valid" and dispenses_wanted is not None else 300
                issued = today - datetime.timedelta(days=rng.randint(1, newest))
                expires = issued + datetime.timedelta(days=365)
            earliest = today + datetime.timedelta(days=rng.randint(5, 60)) if kind == "upcoming" else issued
            allowed = 1 + reit
            status = {"cancelled": "cancelled", "used_up": "completed"}.get(kind, "active")
            if dispenses_wanted is None:
                if kind == "used_up":
                    dispenses_wanted = allowed
                elif kind in ("cancelled", "upcoming"):
                    dispenses_wanted = 0
                elif kind == "valid":
                    dispenses_wanted = rng.randint(0, min(3, allowed - 1))
                else:
                    dispenses_wanted = rng.randint(0, allowed)
            blue = rng.random() < 0.3
            quantity = rng.choice(quantities)
            c.row((
                presc_id, uuid.UUID(int=getrandbits(128), version=4), f"BENCH-{presc_id}", patient, med,
                rng.randint(1, PRACTITIONERS), group, "1 tablett daglig", "Benchmark", issued, earliest, expires,
                reit, quantity, "stk", rng.random() < 0.05, "§ 2" if blue else "", "T90" if blue else "", status,
                False, "", False,
            ))
            span = max((min(expires, today) - issued).days, 1)
            for n in range(dispenses_wanted):
                handed = datetime.datetime.combine(
                    issued + datetime.timedelta(days=min(span, (n + 1) * span // (dispenses_wanted + 1))),
                    datetime.time(10, rng.randint(0, 59)), tzinfo=datetime.UTC,
                )
                substituted = rng.random() < 0.15
                disp_rows.append((
                    presc_id, patient, handed, rng.randint(1, PHARMACIES),
                    rng.randint(1, MEDICATIONS) if substituted else med, quantity, substituted,
                ))

        kinds = ["valid"] * 60 + ["expired"] * 15 + ["used_up"] * 13 + ["cancelled"] * 8 + ["upcoming"] * 4
        bench_kinds = ["valid"] * BENCH_VALID + ["used_up"] * 5 + ["expired"] * 3 + ["cancelled"] * 2
        assert len(bench_kinds) == BENCH_VALID + BENCH_HISTORY
        # 20 valid x 3 (8 of them x 4) + 5 used up x 4 + 3 expired x 4 + 2 cancelled x 0 = 100.
        bench_dispenses = [4] * 8 + [3] * 12 + [4] * 5 + [4] * 3 + [0] * 2
        assert sum(bench_dispenses) == BENCH_DISPENSES
        population = [pid for pid in range(1, regular + 1)]
        disp_id = 0
        with Copier(cur, Prescription, presc_columns) as c:
            for bench_id in bench_ids:
                for kind, wanted in zip(bench_kinds, bench_dispenses, strict=True):
                    # Used up: exactly 4 allowed and 4 dispensed; the others keep dispenses left.
                    add_prescription(c, bench_id, kind, dispenses_wanted=wanted, reit=3 if kind == "used_up" else 11)
        disp_id = _flush_dispenses(cur, Dispense, disp_columns, disp_rows, disp_id, rng)
        # In chunks: one COPY at a time per connection, prescriptions before their dispenses.
        while presc_id < prescriptions:
            with Copier(cur, Prescription, presc_columns) as c:
                for _ in range(min(100_000, prescriptions - presc_id)):
                    add_prescription(c, rng.choice(population), rng.choice(kinds))
            disp_id = _flush_dispenses(cur, Dispense, disp_columns, disp_rows, disp_id, rng)
        counts["prescriptions"] = presc_id
        counts["dispenses"] = disp_id
        _log(f"prescriptions: {presc_id}, dispenses: {disp_id} ({time.monotonic() - started:.1f} s)")

        # Access log: every view of someone's data; the benchmark users' logs are long.
        log_id = 0
        pages = ["valid", "history", "dispensed", "detail"]
        with Copier(cur, AccessLogEntry, ["id", "subject_id", "viewer_id", "basis", "page", "item", "at"]) as c:
            for bench_id in bench_ids:
                for n in range(BENCH_ACCESS_LOG):
                    log_id += 1
                    c.row((log_id, bench_id, bench_id, "self", pages[n % 4], "",
                           now - datetime.timedelta(minutes=37 * n + 5)))
            for _ in range(int(prescriptions * ACCESS_LOG_PER_PRESCRIPTION)):
                log_id += 1
                subject = rng.randint(1, regular)
                c.row((log_id, subject, subject, "self", rng.choice(pages), "",
                       now - datetime.timedelta(minutes=rng.randint(1, 600_000))))
        counts["access_log"] = log_id

        # Users for the benchmark's users (sessions are prepared for them by bench.sessions).
        with Copier(cur, User, ["id", "password", "username", "first_name", "last_name", "email", "is_superuser",
                                "is_staff", "is_active", "date_joined", "person_id"]) as c:
            for n, bench_id in enumerate(bench_ids, start=1):
                c.row((n, "!benchmark", f"bench-{n:04d}", "", "", "", False, False, True, now, bench_id))
        counts["users"] = len(bench_ids)

        indexing = time.monotonic()
        for statement in recreate:
            cur.execute(statement)
        _log(f"{len(recreate)} indexes and unique constraints rebuilt in {time.monotonic() - indexing:.1f} s")

        # Explicit ids were written: move every identity sequence past them.
        for model in (Medication, Pharmacy, Practitioner, Person, ParentalResponsibility, PowerOfAttorney,
                      Prescription, Dispense, AccessLogEntry, User):
            table = model._meta.db_table
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT max(id) FROM {table}), 1))"
            )
        cur.execute("SET session_replication_role = origin")
    raw.commit()
    raw.autocommit = True
    with raw.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    counts["identity_numbers_checked"] = checked
    # Consecutive ids, read back by bench.sessions and bench.saml_logins.
    counts["bench_first_person_id"], counts["bench_users"] = bench_ids[0], len(bench_ids)
    counts["saml_first_person_id"], counts["saml_users"] = saml_ids[0], len(saml_ids)
    assert bench_ids == list(range(bench_ids[0], bench_ids[0] + len(bench_ids)))
    assert saml_ids == list(range(saml_ids[0], saml_ids[0] + len(saml_ids)))
    _log(f"done in {time.monotonic() - started:.1f} s")
    return counts


def _flush_dispenses(cur, Dispense, columns, rows, disp_id, rng) -> int:
    with Copier(cur, Dispense, columns) as c:
        for prescription, patient, handed, pharmacy, med, quantity, substituted in rows:
            disp_id += 1
            status = "cancelled" if rng.random() < 0.01 else "completed"
            c.row((disp_id, f"BD-{disp_id}", prescription, patient, handed, pharmacy, med, quantity, substituted,
                   status))
    rows.clear()
    return disp_id


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prescriptions", type=int, required=True)
    parser.add_argument("--rebuild", action="store_true", help="drop and build again even if reusable")
    args = parser.parse_args(argv)
    url = os.environ["DATABASE_URL"]
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("the benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    started = time.monotonic()
    fill = ensure_database(url, args.prescriptions, args.rebuild)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myprescriptions.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if fill:
        counts = generate(args.prescriptions)
        write_stamp(url, args.prescriptions, time.monotonic() - started, counts)
        _log(f"built in {time.monotonic() - started:.1f} s: {counts}")
    print(json.dumps({"built": fill, **read_stamp(url)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
